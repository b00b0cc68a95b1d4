package rules_test

import (
	"fmt"
	"os"

	"corsedge/rules"
)

// exampleRules is the rule table the examples share.
const exampleRules = `version = 1

[[rule]]
name    = "fonts"
paths   = ["/fonts/"]
origins = ["*"]
timing  = true

[[rule]]
name        = "partner"
paths       = ["/api/"]
origins     = ["https://app.example.com:443", "https://*.partner.example", "http://partner.test"]
methods     = ["POST"]
headers     = ["Content-Type"]
expose      = ["ETag"]
credentials = true
max_age     = "10m"
`

// printHeaders is a HeaderSetter that prints each header as it is set.
type printHeaders struct{}

func (printHeaders) SetCanonical(k, v []byte) { fmt.Printf("  %s: %s\n", k, v) }

func ExampleParse() {
	table, err := rules.Parse([]byte(exampleRules))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range table.Rules() {
		fmt.Println(r.Label(), r.Paths(), r.Origins(), r.Methods())
	}
	for _, w := range table.Warnings() {
		fmt.Println(w)
	}
	// Output:
	// rule #1 ("fonts") [/fonts/] [*] [GET HEAD]
	// rule #2 ("partner") [/api/] [https://app.example.com https://*.partner.example http://partner.test] [POST]
	// 12:76: warning: rule #2 ("partner") origins[2]: "http://partner.test": http:// origin with credentials: a network attacker can impersonate it
}

func ExampleTable_Match() {
	table, _ := rules.Parse([]byte(exampleRules))
	path := []byte("/api/orders") // cleaned, as the server cleans request paths
	for _, origin := range []string{"https://app.example.com", "https://evil.example", ""} {
		d := table.Match([]byte(origin), path)
		fmt.Printf("Origin %q on %s: allowed %v, Vary %q\n", origin, path, d.Allowed(), d.Vary())
		d.WriteActual(printHeaders{}, []byte(origin))
	}
	d := table.Match(nil, []byte("/fonts/a.woff2"))
	fmt.Printf("no Origin on /fonts/a.woff2: allowed %v, Vary %q\n", d.Allowed(), d.Vary())
	d.WriteActual(printHeaders{}, nil)
	// Output:
	// Origin "https://app.example.com" on /api/orders: allowed true, Vary "Origin"
	//   Access-Control-Allow-Origin: https://app.example.com
	//   Access-Control-Allow-Credentials: true
	//   Access-Control-Expose-Headers: ETag
	// Origin "https://evil.example" on /api/orders: allowed false, Vary "Origin"
	// Origin "" on /api/orders: allowed false, Vary "Origin"
	// no Origin on /fonts/a.woff2: allowed true, Vary ""
	//   Access-Control-Allow-Origin: *
	//   Timing-Allow-Origin: *
}

func ExampleDecision_Preflight() {
	table, _ := rules.Parse([]byte(exampleRules))
	origin := []byte("https://shop.partner.example")
	d := table.Match(origin, []byte("/api/orders"))
	for _, req := range []struct {
		method  string
		headers []string // one Access-Control-Request-Headers field line each
	}{
		{"POST", []string{"content-type"}},
		{"DELETE", nil},
		{"POST", []string{"authorization"}},
		{"POST", []string{"content-type", "Content-Type"}},
	} {
		lines := make([][]byte, len(req.headers))
		for i, l := range req.headers {
			lines[i] = []byte(l)
		}
		fmt.Printf("%s %q: %v\n", req.method, req.headers, d.Preflight([]byte(req.method), lines))
	}
	fmt.Println("an accepted preflight gets:")
	d.WritePreflight(printHeaders{}, origin, false)
	fmt.Printf("  Vary: %s\n", rules.PreflightVary)
	// Output:
	// POST ["content-type"]: accepted
	// DELETE []: method not allowed
	// POST ["authorization"]: request header not allowed
	// POST ["content-type" "Content-Type"]: accepted
	// an accepted preflight gets:
	//   Access-Control-Allow-Origin: https://shop.partner.example
	//   Access-Control-Allow-Credentials: true
	//   Access-Control-Allow-Methods: GET, HEAD, POST
	//   Access-Control-Allow-Headers: content-type
	//   Access-Control-Max-Age: 600
	//   Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
}

func ExampleProblems() {
	_, err := rules.Parse([]byte(`version = 1

[[rule]]
name        = "partner"
paths       = ["/api/"]
origins     = ["*", "https://App.example.com"]
credentials = true
max_age     = "48h"
`))
	for _, p := range rules.Problems(err) {
		fmt.Printf("rules.toml:%v\n", p)
	}
	p := rules.Problems(err)[1]
	fmt.Printf("line %d, column %d, key %s, value %q\n", p.Line, p.Col, p.Key, p.Value)
	// Output:
	// rules.toml:6:16: rule #1 ("partner") origins[0]: "*": "*" cannot be used with credentials = true: browsers reject it (list the origins)
	// rules.toml:6:21: rule #1 ("partner") origins[1]: "https://App.example.com": host must be lowercase
	// rules.toml:8:1: rule #1 ("partner") max_age: 48h0m0s is outside 0..24h
	// line 6, column 21, key origins[1], value "https://App.example.com"
}

func ExampleTable_Explain() {
	table, _ := rules.Parse([]byte(exampleRules))
	e := table.Explain(rules.Request{Origin: "https://app.example.com", Path: "/api/orders", Method: "PUT"})
	e.WriteTo(os.Stdout)
	// Output:
	// request: preflight for PUT /api/orders from https://app.example.com
	//   - longest matching prefix "/api/"; candidates in file order: rule #2 ("partner")
	//   - rule #2 ("partner") decides: "https://app.example.com" matches "https://app.example.com"
	//   - method "PUT" is not in GET, HEAD, POST
	// status: 403 Forbidden (method not allowed)
	// headers:
	//   Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
}
