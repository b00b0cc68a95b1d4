package edge_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"corsedge/internal/browsertest"
)

// browserRules allow the test page's origin (http[s]://localhost:PORT) on
// /js/ with credentials, a method and a header; fonts to everyone; styles
// to another site only; any header but authorization on /any/ (headers =
// ["*"]), authorization where listed; Cross-Origin-Resource-Policy
// same-site on /private/ (another site only) and /shared/ (the page's
// origin); and /swap/a/ and /swap/b/ to the
// origins given, which the hot-reload checks trade.
func browserRules(swapA, swapB string) string {
	return fmt.Sprintf(`version = 1
[[rule]]
paths   = ["/fonts/"]
origins = ["*"]

[[rule]]
paths       = ["/js/"]
origins     = %[1]s
methods     = ["POST"]
headers     = ["x-request-id"]
expose      = ["etag"]
credentials = true

[[rule]]
paths   = ["/css/"]
origins = %[2]s

[[rule]]
paths   = ["/any/"]
origins = ["*"]
headers = ["*"]

[[rule]]
paths   = ["/auth/"]
origins = %[1]s
headers = ["authorization"]

[[rule]]
paths   = ["/private/"]
origins = %[2]s
corp    = "same-site"

[[rule]]
paths   = ["/shared/"]
origins = %[1]s
corp    = "same-site"

[[rule]]
paths   = ["/swap/a/"]
origins = %[3]s

[[rule]]
paths   = ["/swap/b/"]
origins = %[4]s
`, pageOrigins, elsewhere, swapA, swapB)
}

const (
	pageOrigins = `["http://localhost:*", "https://localhost:*"]`
	elsewhere   = `["https://other.example"]`
)

// blockCause is what in corsedge's answer makes an engine block a request.
type blockCause int

const (
	notBlocked          blockCause = iota
	noACAO                         // the answer has no Access-Control-Allow-Origin: the origin is not allowed
	refusedPreflight               // the preflight is answered 403, with no CORS headers
	wildcardCredentials            // ACAO is "*" without ACAC: a credentialed request may not read it (Fetch, CORS check)
	corpSameSite                   // Cross-Origin-Resource-Policy: same-site, which a no-cors load from another site may not use (Fetch, cross-origin resource policy check)
)

// browserRequest is what the page asks of the engine for one URL.
type browserRequest struct {
	kind        string   // "fetch" (outcome: the status), "exposed" (can the page read the header?), "font" (FontFace.load), "script" (<script crossorigin>)
	method      string   // fetch; "" is GET
	headers     []string // fetch: "Name: value"
	credentials bool     // fetch: credentials: "include"
	read        string   // exposed: the response header the page reads
}

// A browserCheck is one request the page makes and what the engines make
// of it. Every check has a path of its own, so the engine's console and
// the access log name the check.
type browserCheck struct {
	name string
	path string
	req  browserRequest
	want any // the outcome: a status, "loaded", "ran", true, or "blocked" (a thrown error)
	// except lists the engines whose outcome differs from want, with it.
	except map[browsertest.Engine]any
	block  blockCause // why corsedge's answer blocks the request, wherever the outcome is "blocked"
	// fontMode: the engine's request mode for fonts is asserted too
	// (fontModes), and noCORSBlock is why corsedge's answer blocks the font
	// in an engine that loads fonts without CORS.
	fontMode    bool
	noCORSBlock blockCause
	control     bool // the request goes to the control server, not corsedge
	afterReload bool // made after the rules file has traded /swap/a/ and /swap/b/
	absent      bool // no file at path
}

// fontModes are the request modes engines load web fonts in: WebKit
// fetches them in no-cors mode (no Origin, Sec-Fetch-Mode: no-cors), so
// CORS cannot keep a font off another site in Safari.
var fontModes = map[browsertest.Engine]string{
	browsertest.Chromium: "cors",
	browsertest.Firefox:  "cors",
	browsertest.WebKit:   "no-cors",
}

var (
	authorization = []string{"Authorization: Bearer t0ken"}
	fontLoad      = browserRequest{kind: "font"}
	scriptLoad    = browserRequest{kind: "script"}
	plainGet      = browserRequest{kind: "fetch"}
)

var browserChecks = []browserCheck{
	{name: "font_fetch", path: "/fonts/a.woff2", req: plainGet, want: 200.0},
	{name: "font_face", path: "/fonts/face.woff2", req: fontLoad, want: "loaded", fontMode: true},
	// No ACAO for the page's origin: no font, where fonts load in cors mode.
	{name: "font_face_refused", path: "/css/face.woff2", req: fontLoad, want: "blocked", block: noACAO, fontMode: true,
		except: map[browsertest.Engine]any{browsertest.WebKit: "loaded"}},
	// Cross-Origin-Resource-Policy is what keeps a font off another site in
	// WebKit; it does not apply to a CORS request (Fetch), so in Chromium and
	// Firefox a font the rule allows loads all the same.
	{name: "font_face_corp", path: "/private/face.woff2", req: fontLoad, want: "blocked", block: noACAO, fontMode: true, noCORSBlock: corpSameSite},
	{name: "font_face_allowed_corp", path: "/shared/face.woff2", req: fontLoad, want: "loaded", fontMode: true, noCORSBlock: corpSameSite,
		except: map[browsertest.Engine]any{browsertest.WebKit: "blocked"}},
	{name: "credentialed_get", path: "/js/app.js", req: browserRequest{kind: "fetch", credentials: true}, want: 200.0},
	{name: "credentialed_star", path: "/fonts/cred.woff2", req: browserRequest{kind: "fetch", credentials: true}, want: "blocked", block: wildcardCredentials},
	{name: "exposed_etag", path: "/js/etag.js", req: browserRequest{kind: "exposed", read: "etag"}, want: true},
	// The preflight is accepted; the asset server refuses POST, readably.
	{name: "preflighted_post", path: "/js/post.js", req: browserRequest{kind: "fetch", method: "POST", headers: []string{"X-Request-ID: 1"}}, want: 405.0},
	{name: "refused_method", path: "/js/put.js", req: browserRequest{kind: "fetch", method: "PUT"}, want: "blocked", block: refusedPreflight},
	{name: "refused_header", path: "/js/secret.js", req: browserRequest{kind: "fetch", headers: []string{"X-Secret: 1"}}, want: "blocked", block: refusedPreflight},
	{name: "refused_origin", path: "/css/site.css", req: plainGet, want: "blocked", block: noACAO},
	// A 404 carries the CORS headers, so the page can read it.
	{name: "missing_file", path: "/js/missing.js", req: plainGet, want: 404.0, absent: true},
	{name: "script_crossorigin", path: "/js/cors.js", req: scriptLoad, want: "ran"},
	{name: "script_crossorigin_refused", path: "/css/cors.js", req: scriptLoad, want: "blocked", block: noACAO},
	{name: "star_header", path: "/any/custom.js", req: browserRequest{kind: "fetch", headers: []string{"X-Custom: 1"}}, want: 200.0},
	// Blocked because corsedge refuses the preflight: engine_star_authorization
	// shows that no engine would block it for an ACAH of "*".
	{name: "star_authorization", path: "/any/auth.js", req: browserRequest{kind: "fetch", headers: authorization}, want: "blocked", block: refusedPreflight},
	{name: "authorization_listed", path: "/auth/app.js", req: browserRequest{kind: "fetch", headers: authorization}, want: 200.0},
	// The control server answers every preflight with ACAH "*", which
	// corsedge never sends for authorization: what the engine alone enforces.
	{name: "engine_star_authorization", path: "/any/auth.js", req: browserRequest{kind: "fetch", headers: authorization}, want: 200.0, control: true},
	{name: "reload_allowed_before", path: "/swap/a/before.js", req: plainGet, want: 200.0},
	{name: "reload_refused_before", path: "/swap/b/before.js", req: plainGet, want: "blocked", block: noACAO},
	{name: "reload_refused_after", path: "/swap/a/after.js", req: plainGet, want: "blocked", block: noACAO, afterReload: true},
	{name: "reload_allowed_after", path: "/swap/b/after.js", req: plainGet, want: 200.0, afterReload: true},
}

// wantIn is the outcome expected of the engine.
func (c browserCheck) wantIn(e browsertest.Engine) any {
	if w, ok := c.except[e]; ok {
		return w
	}
	return c.want
}

// cause is why corsedge's answer makes the engine block the request.
func (c browserCheck) cause(e browsertest.Engine) blockCause {
	if c.fontMode && fontModes[e] == "no-cors" {
		return c.noCORSBlock
	}
	return c.block
}

// js is the check's function of the URL, in the page's terms (browserPage).
func (c browserCheck) js() string {
	switch c.req.kind {
	case "font":
		return "font"
	case "script":
		return "script"
	case "exposed":
		return fmt.Sprintf("u => exposed(u, %q)", c.req.read)
	}
	init := map[string]any{}
	if c.req.method != "" {
		init["method"] = c.req.method
	}
	if len(c.req.headers) > 0 {
		h := map[string]string{}
		for _, line := range c.req.headers {
			k, v, _ := strings.Cut(line, ":")
			h[k] = strings.TrimSpace(v)
		}
		init["headers"] = h
	}
	if c.req.credentials {
		init["credentials"] = "include"
	}
	b, _ := json.Marshal(init)
	return "u => status(u, " + string(b) + ")"
}

// browserPage runs the checks in the page, one at a time, and posts the
// outcomes to /report; between the checks before and after the reload it
// waits on POST /reload. %s: the checks before, the checks after, as
// [name, URL, function] arrays.
const browserPage = `<!doctype html><meta charset="utf-8"><script>
async function outcome(f, u) {
  const late = new Promise(resolve => setTimeout(() => resolve("timeout"), 10000));
  try { return await Promise.race([f(u), late]); } catch (e) { return "blocked"; }
}
async function status(u, init) { return (await fetch(u, init)).status; }
async function exposed(u, name) { return (await fetch(u)).headers.get(name) !== null; }
let fonts = 0;
async function font(u) { await new FontFace("f" + fonts++, "url(" + u + ")").load(); return "loaded"; }
function script(u) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.crossOrigin = "anonymous";
    s.onload = () => resolve(self.scriptRan === u ? "ran" : "loaded");
    s.onerror = () => reject(new Error("script error"));
    s.src = u;
    document.head.append(s);
  });
}
const before = [%s];
const after = [%s];
(async () => {
  const r = {};
  for (const [name, u, f] of before) r[name] = await outcome(f, u);
  await fetch("/reload", {method: "POST"});
  for (const [name, u, f] of after) r[name] = await outcome(f, u);
  await fetch("/report", {method: "POST", body: JSON.stringify(r)});
})();
</script>`

// scriptBody marks that the script ran, with its own URL.
const scriptBody = "self.scriptRan = document.currentScript.src;\n"

// pageChecks renders the checks for browserPage: those before the reload,
// then those after.
func pageChecks(edgeURL, controlURL string) (before, after string) {
	var b, a []string
	for _, c := range browserChecks {
		base := edgeURL
		if c.control {
			base = controlURL
		}
		name, _ := json.Marshal(c.name)
		u, _ := json.Marshal(base + c.path)
		entry := fmt.Sprintf("[%s, %s, %s]", name, u, c.js())
		if c.afterReload {
			a = append(a, entry)
		} else {
			b = append(b, entry)
		}
	}
	return strings.Join(b, ",\n  "), strings.Join(a, ",\n  ")
}

// replay sends corsedge, from Go, the request the engine made for a check
// it blocked (for a preflighted one, its preflight; for a no-cors load, a
// GET without Origin), and says how the answer shows the cause, or errs
// when corsedge answered otherwise.
func (c browserCheck) replay(client *http.Client, base, origin string, cause blockCause) (string, error) {
	method := "GET"
	if cause == refusedPreflight {
		method = "OPTIONS"
	}
	req, err := http.NewRequest(method, base+c.path, nil)
	if err != nil {
		return "", err
	}
	if cause != corpSameSite {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("User-Agent", replayAgent)
	if cause == refusedPreflight {
		req.Header.Set("Access-Control-Request-Method", cmp(c.req.method, "GET"))
		if h := requestHeaderNames(c.req.headers); h != "" {
			req.Header.Set("Access-Control-Request-Headers", h)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	h := resp.Header
	acao, acac, corp := h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"), h.Get("Cross-Origin-Resource-Policy")
	answer := fmt.Sprintf("%s %s (Origin %q) answered %d, ACAO %q, ACAC %q, ACAH %q, CORP %q", method, c.path, req.Header.Get("Origin"),
		resp.StatusCode, acao, acac, h.Get("Access-Control-Allow-Headers"), corp)
	ok := false
	switch cause {
	case noACAO:
		ok = acao == "" && acac == ""
	case refusedPreflight:
		ok = resp.StatusCode == http.StatusForbidden && acao == "" && h.Get("Access-Control-Allow-Headers") == "" &&
			h.Get("Access-Control-Allow-Methods") == ""
	case wildcardCredentials:
		ok = acao == "*" && acac == ""
	case corpSameSite:
		ok = resp.StatusCode == http.StatusOK && corp == "same-site"
	}
	if !ok {
		return "", fmt.Errorf("replay: %s: not the answer that blocks it", answer)
	}
	return answer, nil
}

// replayAgent is the User-Agent of the replays, which tells them apart
// from the engine's requests in the access log.
const replayAgent = "corsedge-browser-test-replay"

// requestHeaderNames is Access-Control-Request-Headers as browsers send
// it: the names, lowercase, sorted, comma-separated (Fetch, CORS-preflight
// request).
func requestHeaderNames(headers []string) string {
	var names []string
	for _, line := range headers {
		k, _, _ := strings.Cut(line, ":")
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// servedAs is how the access log must show the engine's own request for a
// check it blocked for cause: the method, the status (0: any), the Origin
// and the decision.
func servedAs(cause blockCause, origin string) (method string, status int, from, decision string) {
	switch cause {
	case refusedPreflight:
		return "OPTIONS", http.StatusForbidden, origin, "refused"
	case wildcardCredentials:
		return "GET", 0, origin, "allowed"
	case corpSameSite:
		return "GET", http.StatusOK, "", "none" // no Origin: no CORS decision
	}
	return "GET", 0, origin, "refused"
}
