package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"corsedge/internal/httpsyntax"
	"corsedge/rules/internal/origin"
)

const (
	maxMaxAge  = 24 * time.Hour // Firefox's cap; more is never honoured
	warnMaxAge = 2 * time.Hour  // Chromium's cap (WebKit's is 10 minutes)
)

// forbiddenMethods can never be requested by a browser (Fetch standard,
// "forbidden method"); listing one is a mistake.
var forbiddenMethods = []string{"CONNECT", "TRACE", "TRACK"}

// standardMethods are the methods browsers uppercase before sending
// (Fetch standard, "normalize a method"); any other method is case-sensitive.
var standardMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}

// cookieHeaders are never in Access-Control-Request-Headers and never
// readable by a page, whatever Access-Control-Expose-Headers says.
var cookieHeaders = []string{"cookie", "set-cookie"}

// validCORP are the values of Cross-Origin-Resource-Policy (Fetch standard).
var validCORP = []string{"", "same-origin", "same-site", "cross-origin"}

// validate checks what types alone cannot and resolves each rule's settings
// against [defaults] and the built-in defaults. It returns the rules with
// their origin patterns parsed; problems go to the checker.
func (c *checker) validate(cfg *config) []*Rule {
	return c.validateEntries(cfg, c.validateDefaults(cfg))
}

// validateDefaults checks the [defaults] of cfg, a main file, and returns
// them resolved: what its entries and every included file's inherit.
func (c *checker) validateDefaults(cfg *config) settings {
	defaults := cfg.defaults.inherit(builtinDefaults)
	c.checkSettings(entry{section: "defaults"}, cfg.defaults, defaults)
	return defaults
}

// validateEntries checks the [[rule]] and [[cache]] entries of cfg, main or
// included, each rule inheriting defaults (resolved already), and compiles
// each rule: a compiled rule is immutable, so a reload reuses it.
func (c *checker) validateEntries(cfg *config, defaults settings) []*Rule {
	rules := make([]*Rule, 0, len(cfg.rules))
	for i, rc := range cfg.rules {
		rules = append(rules, c.validateRule(c.base.rules+i, rc, defaults))
	}
	for i, cc := range cfg.cache {
		at := entry{section: "cache", index: c.base.cache + i}
		if !c.reported(at, "paths") {
			c.checkPaths(at, cc.paths)
		}
		switch {
		case c.reported(at, "control"):
		case strings.TrimSpace(cc.control) == "":
			c.errorf(at, "control", -1, "", "is required: the Cache-Control value for these paths")
		case !isFieldValue(cc.control):
			c.errorf(at, "control", -1, cc.control, "is not a valid header value (control characters or non-ASCII)")
		}
	}
	return rules
}

func (c *checker) validateRule(i int, rc ruleConfig, defaults settings) *Rule {
	at := entry{section: "rule", index: i, name: rc.name}
	s := rc.settings.inherit(defaults)
	r := &Rule{name: rc.name, file: c.file, index: i, paths: rc.paths}
	pol := policy{
		methods: s.methods, headers: s.headers, expose: s.expose,
		maxAge: *s.maxAge, credentials: *s.credentials,
		privateNetwork: *s.privateNetwork, timing: *s.timing, corp: *s.corp,
	}
	switch {
	case rc.paths == nil:
		c.errorf(at, "", -1, "", "paths is required: the path prefixes this rule covers")
	case !c.reported(at, "paths"):
		c.checkPaths(at, rc.paths)
	}
	switch {
	case rc.origins == nil:
		c.errorf(at, "", -1, "", `origins is required: at least one origin pattern, or "*"`)
	case len(rc.origins) == 0 && !c.reported(at, "origins"):
		c.errorf(at, "origins", -1, "", `is empty: list at least one origin pattern, or "*"`)
	}
	for j, o := range rc.origins {
		p, err := origin.ParsePattern(o)
		if err != nil {
			c.errorf(at, "origins", j, o, "%s", patternReason(err))
			continue
		}
		r.patterns = append(r.patterns, p)
		c.checkOrigin(at, j, p, pol.credentials)
	}
	c.checkSettings(at, rc.settings, s)
	r.compile()
	r.policy = policyFor(pol)
	return r
}

// reported reports whether a problem was already found at key or one of its
// elements, so that a type error is not followed by a second complaint about
// the same key. It is a map lookup: a file with a problem in every rule must
// not cost a scan of all problems per rule.
func (c *checker) reported(at entry, key string) bool {
	return c.faulty[place{at.section, at.index, key}]
}

// patternReason strips the pattern the error repeats, since the problem
// already shows it as its value.
func patternReason(err error) string {
	if pe, ok := err.(*origin.PatternError); ok {
		return pe.Reason
	}
	return err.Error()
}

func (c *checker) checkOrigin(at entry, j int, p origin.Pattern, credentials bool) {
	o := p.String()
	switch {
	case p.Kind() == origin.Any && credentials:
		c.errorf(at, "origins", j, o, `"*" cannot be used with credentials = true: browsers reject it (list the origins)`)
	case p.Kind() == origin.Null && credentials:
		c.errorf(at, "origins", j, o, "null cannot be used with credentials = true: any sandboxed page or file would be trusted")
	case p.Kind() == origin.Null:
		c.warnf(at, "origins", j, o, "null is sent by sandboxed iframes, file: pages and redirects; any site can produce it")
	case credentials && p.Scheme() == "http" && !p.Loopback():
		c.warnf(at, "origins", j, o, "http:// origin with credentials: a network attacker can impersonate it")
	}
	if suffix := p.Suffix(); isPublicSuffix(suffix) {
		const why = "%q is a public suffix: anyone can register a site under it, and this pattern matches them all"
		if credentials {
			c.errorf(at, "origins", j, o, why+", with credentials = true (list your own domains)", suffix)
		} else {
			c.warnf(at, "origins", j, o, why+` (write "*" if any origin is meant)`, suffix)
		}
	}
}

// isPublicSuffix reports whether s is on the public suffix list, in its
// ICANN section (com, co.uk) or its private one (github.io, herokuapp.com):
// both are names under which anyone can register a site, and browsers use
// the whole list to stop cookies spanning sites. A name that is not listed
// (test, internal, corp) is not a public suffix here, though the list's
// default rule treats an unknown top-level domain as one: such names belong
// to private networks whose operator controls every site under them.
func isPublicSuffix(s string) bool {
	if s == "" {
		return false
	}
	ps, icann := publicsuffix.PublicSuffix(s)
	return ps == s && (icann || strings.Contains(ps, "."))
}

// checkSettings checks the inheritable keys set in set (nil where inherited),
// with resolved the values after inheritance, so that a conflict between a
// rule's key and an inherited one is reported on the rule.
func (c *checker) checkSettings(at entry, set, resolved settings) {
	credentials := resolved.credentials != nil && *resolved.credentials
	c.checkMethods(at, resolved.methods, set.methods != nil, credentials)
	c.checkHeaderNames(at, "headers", resolved.headers, set.headers != nil, credentials)
	c.checkHeaderNames(at, "expose", resolved.expose, set.expose != nil, credentials)
	if set.maxAge != nil {
		switch d := *set.maxAge; {
		case d < 0 || d > maxMaxAge:
			c.errorf(at, "max_age", -1, "", "%s is outside 0..24h", d)
		case d > warnMaxAge:
			c.warnf(at, "max_age", -1, "", "%s is over 2h: Chromium caps preflight caching at 2h, WebKit at 10m", d)
		}
	}
	if set.corp != nil && !slices.Contains(validCORP, *set.corp) {
		c.errorf(at, "corp", -1, *set.corp, "unknown value: use same-origin, same-site or cross-origin")
	}
}

// checkMethods reports bad method names. Problems with inherited values are
// reported where they are written, unless credentials make them wrong here.
func (c *checker) checkMethods(at entry, methods []string, own, credentials bool) {
	for i, m := range methods {
		switch {
		case m == "*" && credentials:
			c.errorf(at, keyOrInherited("methods", own), elemIf(i, own), m, `"*" cannot be used with credentials = true: browsers read it as a method named "*"`)
		case !own || m == "*":
		case !httpsyntax.IsToken(m):
			c.errorf(at, "methods", i, m, "is not a method name (an RFC 9110 token)")
		case containsFold(forbiddenMethods, m):
			c.errorf(at, "methods", i, m, "is a forbidden method: browsers never send it")
		case containsFold(standardMethods, m) && m != strings.ToUpper(m):
			c.warnf(at, "methods", i, m, "browsers send this method uppercase (%s); methods are case-sensitive", strings.ToUpper(m))
		}
	}
}

func (c *checker) checkHeaderNames(at entry, key string, names []string, own, credentials bool) {
	for i, h := range names {
		switch {
		case h == "*" && credentials:
			c.errorf(at, keyOrInherited(key, own), elemIf(i, own), h, `"*" cannot be used with credentials = true: browsers read it as a header named "*"`)
		case !own || h == "*":
		case !httpsyntax.IsToken(h):
			c.errorf(at, key, i, h, "is not a header name (an RFC 9110 token)")
		case key == "headers" && containsFold(cookieHeaders, h):
			c.errorf(at, key, i, h, "browsers never let a page send Cookie or Set-Cookie (Fetch \"forbidden request-header\"); cookies go with credentials = true")
		case key == "expose" && containsFold(cookieHeaders, h):
			c.errorf(at, key, i, h, "browsers never expose Set-Cookie or Cookie to a page (Fetch \"forbidden response-header name\")")
		}
	}
}

// checkPaths reports path prefixes that could never match a request path,
// which is percent-decoded and cleaned before matching.
func (c *checker) checkPaths(at entry, paths []string) {
	if len(paths) == 0 {
		c.errorf(at, "paths", -1, "", "is empty: list at least one path prefix such as \"/fonts/\"")
	}
	for i, p := range paths {
		switch {
		case !strings.HasPrefix(p, "/"):
			c.errorf(at, "paths", i, p, `must start with "/"`)
		case strings.ContainsAny(p, "?#"):
			c.errorf(at, "paths", i, p, "must not hold a query or fragment: prefixes match the path only")
		case !isFieldValue(p) || strings.ContainsRune(p, '%'):
			c.errorf(at, "paths", i, p, "must be written decoded, without %%-escapes or control characters")
		case !isClean(p):
			c.errorf(at, "paths", i, p, "is not a clean path (no \"//\", \".\" or \"..\" segments): request paths are cleaned first, so it would never match")
		}
	}
}

// isClean reports whether p, a decoded path starting with "/", has no empty,
// "." or ".." segment, so that the server's cleaning (RFC 3986 §5.2.4, and
// "//" collapsed) leaves it as written. A trailing slash and a trailing
// partial segment ("/js/v") are clean. It only checks: requests are cleaned
// by the server (edge.CleanPath), never here.
func isClean(p string) bool {
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return !strings.Contains(p, "//")
}

// isFieldValue reports whether s can be sent as a header field value:
// visible ASCII, spaces and tabs (RFC 9110 §5.5, without obs-text).
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

func keyOrInherited(key string, own bool) string {
	if own {
		return key
	}
	return fmt.Sprintf("%s (inherited from [defaults])", key)
}

func elemIf(i int, own bool) int {
	if own {
		return i
	}
	return -1
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(e, s) })
}
