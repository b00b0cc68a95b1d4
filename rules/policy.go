package rules

import (
	"runtime"
	"strings"
	"sync"
	"time"
	"weak"
)

// policyKey identifies a policy by its settings; lists are joined with a
// newline, which no method or header name (a token) contains.
type policyKey struct {
	methods, headers, expose     string
	maxAge                       time.Duration
	credentials, network, timing bool
	corp                         string
}

// policies interns compiled policies across files and tables, so that rules
// validated apart (one per site file, on several cores, kept between
// reloads) still share one. Entries are weak: a policy no table holds is
// collected and its entry removed.
var policies = struct {
	sync.Mutex
	m map[policyKey]weak.Pointer[policy]
}{m: map[policyKey]weak.Pointer[policy]{}}

// policyFor returns the shared compiled policy of these settings.
func policyFor(p policy) *policy {
	k := policyKey{
		methods: strings.Join(p.methods, "\n"), headers: strings.Join(p.headers, "\n"),
		expose: strings.Join(p.expose, "\n"), maxAge: p.maxAge, credentials: p.credentials,
		network: p.privateNetwork, timing: p.timing, corp: p.corp,
	}
	policies.Lock()
	defer policies.Unlock()
	if shared := policies.m[k].Value(); shared != nil {
		return shared
	}
	shared := &p
	shared.compile()
	policies.m[k] = weak.Make(shared)
	runtime.AddCleanup(shared, forgetPolicy, k)
	return shared
}

// forgetPolicy drops k's entry once its policy is collected, unless a new
// policy took its place meanwhile.
func forgetPolicy(k policyKey) {
	policies.Lock()
	defer policies.Unlock()
	if policies.m[k].Value() == nil {
		delete(policies.m, k)
	}
}
