package rules

import (
	"fmt"
	"io"
	"strings"

	"corsedge/rules/internal/origin"
)

// A Request is what Explain is asked about: a preflight when Method is set,
// else an actual GET.
type Request struct {
	Origin         string   // "" for a request without Origin
	Path           string   // cleaned as the server cleans it (edge.CleanPath): decoded, no query
	Method         string   // Access-Control-Request-Method; "" for an actual request
	Headers        []string // Access-Control-Request-Headers, one field line each
	Credentials    bool     // the browser sends cookies or other credentials
	PrivateNetwork bool     // Access-Control-Request-Private-Network: true
}

// An Explanation says which rule decides a request, why, and which CORS
// headers a browser would get.
type Explanation struct {
	Request  Request
	Path     string // the path that is matched, Request.Path
	Decision Decision
	Refusal  Refusal // preflights only
	Status   string
	Headers  [][2]string // in the order they are written
	Notes    []string
}

// Explain decides req the way the server does and records why. req.Path
// must already be cleaned the server's way; Explain matches it as given.
func (t *Table) Explain(req Request) *Explanation {
	e := &Explanation{Request: req, Path: req.Path}
	p := t.Select([]byte(e.Path))
	if p != nil {
		e.Decision = p.Decide([]byte(req.Origin))
	}
	var h headerRecorder
	if req.Method != "" {
		lines := make([][]byte, len(req.Headers))
		for i, l := range req.Headers {
			lines[i] = []byte(l)
		}
		e.Refusal = e.Decision.Preflight([]byte(req.Method), lines)
		if e.Refusal == Accepted {
			e.Status = "204 No Content"
			e.Decision.WritePreflight(&h, []byte(req.Origin), req.PrivateNetwork)
		} else {
			e.Status = "403 Forbidden (" + e.Refusal.String() + ")"
		}
		h.set("Vary", PreflightVary)
	} else {
		e.Status = "the asset's own (200, 206, 304, 404 ...)"
		e.Decision.WriteActual(&h, []byte(req.Origin))
		if v := e.Decision.Vary(); v != "" {
			h.set("Vary", v)
		}
	}
	e.Headers = h
	e.Notes = e.notes()
	return e
}

// notes explains the decision in words.
func (e *Explanation) notes() []string {
	d, req := e.Decision, e.Request
	p := d.Prefix()
	if p == nil {
		return []string{fmt.Sprintf("no rule lists a prefix of %q: no CORS headers", e.Path)}
	}
	notes := []string{fmt.Sprintf("longest matching prefix %q; candidates in file order: %s", p.path, labels(p.rules))}
	r := d.Rule()
	switch {
	case r == nil && req.Origin == "":
		notes = append(notes, `no Origin: only a candidate listing "*" would answer, and none does`)
	case r == nil:
		notes = append(notes, fmt.Sprintf("no candidate lists a pattern matching %q", req.Origin))
	case req.Origin == "":
		notes = append(notes, fmt.Sprintf(`no Origin: %s lists "*"`, r.Label()))
	default:
		notes = append(notes, fmt.Sprintf("%s decides: %q matches %s", r.Label(), req.Origin, matchingPattern(r, req.Origin)))
	}
	switch e.Refusal {
	case RefusedMethod:
		notes = append(notes, fmt.Sprintf("method %q is not in %s", req.Method, r.allowMethods))
	case RefusedHeaders:
		notes = append(notes, fmt.Sprintf("request headers %q are not all in %q (authorization only when listed)", strings.Join(req.Headers, ", "), r.allowHeaders))
	case RefusedHeaderLines:
		notes = append(notes, fmt.Sprintf("%d Access-Control-Request-Headers lines: more than %d are refused unread", len(req.Headers), MaxHeaderLines))
	case Accepted:
		if req.PrivateNetwork && !r.privateNetwork {
			notes = append(notes, "private network access asked: answered without Access-Control-Allow-Private-Network, since the rule does not set private_network = true (browsers no longer enforce it)")
		}
	}
	if r != nil && req.Credentials && (!r.credentials || r.anyOrigin) {
		notes = append(notes, "a credentialed request fails in the browser: the rule does not set credentials = true")
	}
	if d.Vary() == "" && req.Method == "" {
		notes = append(notes, `no Vary: Origin needed: the first candidate lists "*", so every origin gets the same answer`)
	}
	return notes
}

// matchingPattern names the first of r's patterns that matches o.
func matchingPattern(r *Rule, o string) string {
	for _, pat := range r.patterns {
		var ix origin.Index
		ix.Add(pat, 0)
		if _, ok := ix.Lookup([]byte(o)); ok {
			return fmt.Sprintf("%q", pat.String())
		}
	}
	return "its patterns"
}

func labels(rules []*Rule) string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Label()
	}
	return strings.Join(out, ", ")
}

// WriteTo prints the explanation for people.
func (e *Explanation) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	kind := "actual GET"
	if e.Request.Method != "" {
		kind = "preflight for " + e.Request.Method
		if len(e.Request.Headers) > 0 {
			kind += " with headers " + strings.Join(e.Request.Headers, ", ")
		}
	}
	origin := e.Request.Origin
	if origin == "" {
		origin = "(no Origin)"
	}
	fmt.Fprintf(&b, "request: %s %s from %s\n", kind, e.Path, origin)
	for _, n := range e.Notes {
		fmt.Fprintf(&b, "  - %s\n", n)
	}
	fmt.Fprintf(&b, "status: %s\n", e.Status)
	if len(e.Headers) == 0 {
		b.WriteString("headers: none from CORS\n")
	} else {
		b.WriteString("headers:\n")
		for _, kv := range e.Headers {
			fmt.Fprintf(&b, "  %s: %s\n", kv[0], kv[1])
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// headerRecorder keeps the headers a Decision writes, in order.
type headerRecorder [][2]string

func (h *headerRecorder) set(k, v string)          { *h = append(*h, [2]string{k, v}) }
func (h *headerRecorder) SetCanonical(k, v []byte) { h.set(string(k), string(v)) }
