package rules

import "time"

// config is rules.toml as written, after type checks and before semantic
// validation. Optional settings are pointers (or nil slices) so that a rule
// can tell "not set, inherit [defaults]" from "set to the zero value".
type config struct {
	version  int64
	include  []string // globs of included files, relative to the main file
	defaults settings
	rules    []ruleConfig
	cache    []cacheConfig
}

// settings are the keys a [[rule]] inherits from [defaults].
type settings struct {
	methods        []string
	headers        []string
	expose         []string
	maxAge         *time.Duration
	credentials    *bool
	privateNetwork *bool
	timing         *bool
	corp           *string
}

type ruleConfig struct {
	name    string
	paths   []string
	origins []string
	settings
}

type cacheConfig struct {
	paths   []string
	control string
}

// builtinDefaults are what a rule gets for a key neither it nor [defaults] sets.
var builtinDefaults = func() settings {
	maxAge, no, none := 2*time.Hour, false, ""
	return settings{
		methods:        []string{"GET", "HEAD"},
		headers:        []string{},
		expose:         []string{},
		maxAge:         &maxAge,
		credentials:    &no,
		privateNetwork: &no,
		timing:         &no,
		corp:           &none,
	}
}()

// inherit fills every key s does not set from parent.
func (s settings) inherit(parent settings) settings {
	if s.methods == nil {
		s.methods = parent.methods
	}
	if s.headers == nil {
		s.headers = parent.headers
	}
	if s.expose == nil {
		s.expose = parent.expose
	}
	if s.maxAge == nil {
		s.maxAge = parent.maxAge
	}
	if s.credentials == nil {
		s.credentials = parent.credentials
	}
	if s.privateNetwork == nil {
		s.privateNetwork = parent.privateNetwork
	}
	if s.timing == nil {
		s.timing = parent.timing
	}
	if s.corp == nil {
		s.corp = parent.corp
	}
	return s
}
