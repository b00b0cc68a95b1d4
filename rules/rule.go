package rules

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"corsedge/internal/httpsyntax"
	"corsedge/rules/internal/header"
	"corsedge/rules/internal/origin"
)

// A Rule is one compiled [[rule]]: its settings after inheritance from
// [defaults], and its response header values joined once. A Rule is
// immutable once its Table is built: its accessors return copies.
type Rule struct {
	// Most rules inherit the same [defaults], so their settings and joined
	// header values are one policy shared by all of them (see policyFor):
	// thousands of site rules cost one copy, not thousands. It and
	// anyOrigin come first, in the first 16 bytes of the allocation, which
	// never straddle a cache line: answering a request reads one line of
	// the rule, whatever the rest of it spans.
	*policy
	anyOrigin bool // lists "*": every origin matches, and ACAO is "*"

	name     string
	file     string   // the included file it is in; "" for the main file
	index    int      // 0-based position among its file's [[rule]] entries
	paths    []string // path prefixes, as written
	patterns []origin.Pattern
}

// A policy is a rule's settings after inheritance, with the values they
// compile to. It is shared between rules and tables: never written to.
type policy struct {
	methods        []string
	headers        []string
	expose         []string
	maxAge         time.Duration
	credentials    bool
	privateNetwork bool
	timing         bool
	anyMethod      bool // lists "*" in methods
	corp           string
	headerSet      header.Set

	// Response header values, joined at compile time so that writing a
	// response builds nothing. Shared by every response: never written to.
	allowMethods  []byte
	allowHeaders  []byte // empty when no header is allowed: the header is omitted
	exposeHeaders []byte
	maxAgeValue   []byte
	corpValue     []byte
}

// Name returns the rule's name, "" when it has none.
func (r *Rule) Name() string { return r.name }

// Index returns the rule's 0-based position among its file's [[rule]] entries.
func (r *Rule) Index() int { return r.index }

// File returns the path of the included file the rule is in, "" for the
// main rules file.
func (r *Rule) File() string { return r.file }

// Paths returns the rule's path prefixes, as written.
func (r *Rule) Paths() []string { return slices.Clone(r.paths) }

// Origins returns the rule's origin patterns, normalised
// ("https://a.com:443" is "https://a.com").
func (r *Rule) Origins() []string {
	out := make([]string, len(r.patterns))
	for i, p := range r.patterns {
		out[i] = p.String()
	}
	return out
}

// Methods returns the methods the rule lists, after inheritance.
func (r *Rule) Methods() []string { return slices.Clone(r.methods) }

// Headers returns the request headers the rule allows, after inheritance.
func (r *Rule) Headers() []string { return slices.Clone(r.headers) }

// Expose returns the response headers the rule exposes, after inheritance.
func (r *Rule) Expose() []string { return slices.Clone(r.expose) }

// MaxAge returns how long a browser may cache the rule's preflight answers.
func (r *Rule) MaxAge() time.Duration { return r.maxAge }

// Credentials reports whether the rule sets credentials = true.
func (r *Rule) Credentials() bool { return r.credentials }

// PrivateNetwork reports whether the rule answers private network access.
func (r *Rule) PrivateNetwork() bool { return r.privateNetwork }

// Timing reports whether the rule sends Timing-Allow-Origin.
func (r *Rule) Timing() bool { return r.timing }

// CORP returns the rule's Cross-Origin-Resource-Policy, "" for none.
func (r *Rule) CORP() string { return r.corp }

// Label names the rule for people: `rule #2 ("partner app")`, and
// `rule #1 ("acme") in sites.d/acme.toml` for a rule of an included file.
func (r *Rule) Label() string {
	s := "rule #" + strconv.Itoa(r.index+1)
	if r.name != "" {
		s += " (" + strconv.Quote(r.name) + ")"
	}
	if r.file != "" {
		s += " in " + r.file
	}
	return s
}

// compile prepares the rule's origin flags; its policy is compiled by
// policyFor.
func (r *Rule) compile() {
	for _, p := range r.patterns {
		if p.Kind() == origin.Any {
			r.anyOrigin = true
		}
	}
}

// compile joins the policy's header values and builds its header set.
func (p *policy) compile() {
	p.anyMethod = slices.Contains(p.methods, "*")
	p.headerSet = header.NewSet(p.headers)
	p.allowMethods = []byte(joinMethods(p.methods))
	p.allowHeaders = []byte(strings.Join(lowerAll(p.headers), ", "))
	p.exposeHeaders = []byte(strings.Join(p.expose, ", "))
	p.maxAgeValue = strconv.AppendInt(nil, int64(p.maxAge/time.Second), 10)
	p.corpValue = []byte(p.corp)
}

// allowsMethod reports whether a preflight may ask for method m.
// GET and HEAD are always allowed: this is an asset server.
// Methods are case-sensitive (RFC 9110 §9.1).
func (r *Rule) allowsMethod(m []byte) bool {
	if !httpsyntax.IsToken(m) {
		return false
	}
	if r.anyMethod || string(m) == "GET" || string(m) == "HEAD" {
		return true
	}
	for _, allowed := range r.methods {
		if string(m) == allowed {
			return true
		}
	}
	return false
}

// joinMethods lists GET and HEAD first, then the rule's other methods, each
// once; "*" stands alone.
func joinMethods(methods []string) string {
	if slices.Contains(methods, "*") {
		return "*"
	}
	list := []string{"GET", "HEAD"}
	for _, m := range methods {
		if !slices.Contains(list, m) {
			list = append(list, m)
		}
	}
	return strings.Join(list, ", ")
}

func lowerAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(n)
	}
	return out
}
