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
// [defaults], and its response header values joined once.
// A Rule is immutable once its Table is built.
type Rule struct {
	Name           string
	Index          int      // 0-based position among the file's [[rule]] entries
	Paths          []string // path prefixes, as written
	Origins        []string // origin patterns, normalised ("https://a.com:443" is "https://a.com")
	Methods        []string
	Headers        []string
	Expose         []string
	MaxAge         time.Duration
	Credentials    bool
	PrivateNetwork bool
	Timing         bool
	CORP           string

	patterns  []origin.Pattern
	anyOrigin bool // lists "*": every origin matches, and ACAO is "*"
	anyMethod bool // lists "*" in methods
	headers   header.Set

	// Response header values, joined at compile time so that writing a
	// response builds nothing. Shared by every response: never written to.
	allowMethods  []byte
	allowHeaders  []byte // empty when no header is allowed: the header is omitted
	exposeHeaders []byte
	maxAge        []byte
	corp          []byte
}

// Label names the rule for people: `rule #2 ("partner app")`.
func (r *Rule) Label() string {
	s := "rule #" + strconv.Itoa(r.Index+1)
	if r.Name != "" {
		s += " (" + strconv.Quote(r.Name) + ")"
	}
	return s
}

// compile prepares the rule's matching sets and header values.
func (r *Rule) compile() {
	for _, p := range r.patterns {
		if p.Kind() == origin.Any {
			r.anyOrigin = true
		}
	}
	r.anyMethod = slices.Contains(r.Methods, "*")
	r.headers = header.NewSet(r.Headers)
	r.allowMethods = []byte(joinMethods(r.Methods))
	r.allowHeaders = []byte(strings.Join(lowerAll(r.Headers), ", "))
	r.exposeHeaders = []byte(strings.Join(r.Expose, ", "))
	r.maxAge = strconv.AppendInt(nil, int64(r.MaxAge/time.Second), 10)
	r.corp = []byte(r.CORP)
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
	for _, allowed := range r.Methods {
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
