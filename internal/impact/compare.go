package impact

import (
	"cmp"
	"slices"

	"corsedge/rules"
)

// A Pair is an Origin and a cleaned request path (a server records the
// path prefix that decided), with how many requests it stands for.
type Pair struct {
	Origin string `json:"origin"`
	Path   string `json:"path"`
	Count  uint64 `json:"count"`
}

// Kind is how a pair's answer changes.
type Kind string

const (
	NowRefused     Kind = "allowed->refused"
	NowAllowed     Kind = "refused->allowed"
	HeadersChanged Kind = "headers"
)

// A Change is one pair the new table answers differently.
type Change struct {
	Pair
	Kind       Kind           `json:"change"`
	RuleBefore string         `json:"rule_before,omitempty"` // the deciding rule's label; "" when none
	RuleAfter  string         `json:"rule_after,omitempty"`
	Headers    []HeaderChange `json:"headers,omitempty"`
}

// A HeaderChange is one CORS response header whose value differs; "" is absent.
type HeaderChange struct {
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// A Report is the outcome of Compare: the changes, largest traffic first,
// and the totals a reload guard weighs.
type Report struct {
	Pairs    int    `json:"pairs"`    // distinct pairs compared
	Requests uint64 `json:"requests"` // their counts added up
	// AllowedRequests are those whose origin the old table allows, and
	// RefusedRequests those of them the new one refuses.
	AllowedRequests uint64   `json:"allowed_requests"`
	RefusedRequests uint64   `json:"newly_refused_requests"`
	Changes         []Change `json:"changes"`
}

// RefusedShare is the share of the allowed requests the new table refuses,
// from 0 to 1; 0 when none was allowed.
func (r *Report) RefusedShare() float64 {
	if r.AllowedRequests == 0 {
		return 0
	}
	return float64(r.RefusedRequests) / float64(r.AllowedRequests)
}

// Compare decides every pair under old and new and reports those whose
// answer differs: allowed or not, or any CORS header a preflight or an
// actual request would get (ACAO, ACAC, methods, headers, max-age,
// expose, Timing-Allow-Origin, CORP, private network). Pairs listed
// twice count once, their counts added.
func Compare(old, new *rules.Table, pairs []Pair) *Report {
	pairs = merge(pairs)
	r := &Report{Pairs: len(pairs), Changes: []Change{}}
	for _, p := range pairs {
		r.Requests += p.Count
		before := old.Match([]byte(p.Origin), []byte(p.Path))
		after := new.Match([]byte(p.Origin), []byte(p.Path))
		if before.Allowed() {
			r.AllowedRequests += p.Count
		}
		c := Change{Pair: p, RuleBefore: label(before), RuleAfter: label(after),
			Headers: diffHeaders(answer(before, p.Origin), answer(after, p.Origin))}
		switch {
		case before.Allowed() && !after.Allowed():
			c.Kind = NowRefused
			r.RefusedRequests += p.Count
		case !before.Allowed() && after.Allowed():
			c.Kind = NowAllowed
		case len(c.Headers) > 0:
			c.Kind = HeadersChanged
		default:
			continue
		}
		r.Changes = append(r.Changes, c)
	}
	slices.SortStableFunc(r.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Origin, b.Origin), cmp.Compare(a.Path, b.Path))
	})
	return r
}

// merge adds up the counts of pairs listed more than once, in first-seen order.
func merge(pairs []Pair) []Pair {
	at := make(map[[2]string]int, len(pairs))
	out := make([]Pair, 0, len(pairs))
	for _, p := range pairs {
		k := [2]string{p.Origin, p.Path}
		if i, ok := at[k]; ok {
			out[i].Count += p.Count
			continue
		}
		at[k] = len(out)
		out = append(out, p)
	}
	return out
}

func label(d rules.Decision) string {
	if r := d.Rule(); r != nil {
		return r.Label()
	}
	return ""
}

// answer is every CORS header the decision writes, on an accepted
// preflight (one asking for private network access, so that setting shows)
// and on an actual request together; the two agree on those they share.
// Vary is left out: it changes only with ACAO (between "*" and the
// origin) or where no rule allows the origin, and a refused origin's Vary
// is no change a site would see.
func answer(d rules.Decision, origin string) headers {
	var h headers
	o := []byte(origin)
	d.WriteActual(&h, o)
	d.WritePreflight(&h, o, true)
	return h
}

// headers records what a Decision writes, one value per name, in order.
type headers [][2]string

func (h *headers) SetCanonical(k, v []byte) {
	for i := range *h {
		if (*h)[i][0] == string(k) {
			(*h)[i][1] = string(v)
			return
		}
	}
	*h = append(*h, [2]string{string(k), string(v)})
}

func (h headers) get(name string) string {
	for _, kv := range h {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

// diffHeaders lists the names whose values differ, before's order first.
func diffHeaders(before, after headers) []HeaderChange {
	var out []HeaderChange
	seen := map[string]bool{}
	for _, list := range []headers{before, after} {
		for _, kv := range list {
			if seen[kv[0]] {
				continue
			}
			seen[kv[0]] = true
			if b, a := before.get(kv[0]), after.get(kv[0]); b != a {
				out = append(out, HeaderChange{Name: kv[0], Before: b, After: a})
			}
		}
	}
	return out
}
