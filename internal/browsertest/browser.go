package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Engine names a browser engine.
type Engine string

// The engines a test can drive.
const (
	Chromium Engine = "chromium"
	Firefox  Engine = "firefox"
	WebKit   Engine = "webkit"
)

// Engines lists every engine, in the order tests report them.
var Engines = []Engine{Chromium, Firefox, WebKit}

// StartTimeout bounds starting an engine, up to its first page being ready.
const StartTimeout = 60 * time.Second

// Options shape a browser.
type Options struct {
	// TrustedKeys are the base64 SHA-256 hashes of the public keys of the
	// test's HTTPS servers. Chromium trusts exactly these keys
	// (--ignore-certificate-errors-spki-list); Firefox's and WebKit's
	// WebDriver have no such list, so when it is set they accept any
	// certificate (the acceptInsecureCerts capability).
	TrustedKeys []string
}

// Message is one entry of the page's console, as the engine reports it.
type Message struct {
	Level string // "error", "warning", "info", "log", ...
	Text  string
}

// Browser is a running engine with one page.
type Browser struct {
	Engine Engine
	drv    driver

	mu      sync.Mutex // guards console
	console []Message
}

// driver is one engine's remote control.
type driver interface {
	// open loads url in the page and returns once it has loaded.
	open(ctx context.Context, url string) error
}

// Start starts the engine and stops it when the test ends. An engine that is
// not installed skips the test, naming the Debian package to install; with
// CI=true it fails the test instead, since .ci/run installs every engine.
func Start(t testing.TB, e Engine, o Options) *Browser {
	t.Helper()
	paths := find(t, e)
	b := &Browser{Engine: e}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	var err error
	switch e {
	case Chromium:
		b.drv, err = startChromium(ctx, t, b, paths[0], o)
	case Firefox:
		b.drv, err = startFirefox(ctx, t, b, paths[0], o)
	case WebKit:
		b.drv, err = startWebKit(ctx, t, paths, o)
	default:
		err = fmt.Errorf("unknown engine %q", e)
	}
	if err != nil {
		t.Fatalf("%s: start: %v", e, err)
	}
	return b
}

// Open loads url in the browser's page.
func (b *Browser) Open(ctx context.Context, url string) error {
	if err := b.drv.open(ctx, url); err != nil {
		return fmt.Errorf("%s: open %s: %w", b.Engine, url, err)
	}
	return nil
}

// HasConsole reports whether the engine tells its console messages.
// WebKitGTK's WebDriver has no command or event for them, and its
// MiniBrowser writes none to its output in automation mode.
func (b *Browser) HasConsole() bool { return b.Engine != WebKit }

// Console returns the console messages so far.
func (b *Browser) Console() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Message(nil), b.console...)
}

// CORSErrors returns the engine's own messages that it blocked a
// cross-origin request to url for CORS; none from an engine without a console.
func (b *Browser) CORSErrors(url string) []string {
	var out []string
	for _, m := range b.Console() {
		if corsError(b.Engine, m.Text, url) {
			out = append(out, m.Text)
		}
	}
	return out
}

// corsError reports whether text is how the engine says that CORS blocked
// a request to url. Each engine quotes the full URL: Chromium in single
// quotes ("Access to fetch at 'URL' from origin '…' has been blocked by
// CORS policy: …"), Firefox followed by a period or, for some reasons, in
// curly quotes ("Cross-Origin Request Blocked: … the remote resource at
// URL. (Reason: …)", "… at ‘URL’. (Reason: Credential is not supported if
// …)").
func corsError(e Engine, text, url string) bool {
	switch e {
	case Chromium:
		return strings.Contains(text, "'"+url+"'") && strings.Contains(text, "has been blocked by CORS policy")
	case Firefox:
		return (strings.Contains(text, " "+url+". ") || strings.Contains(text, "‘"+url+"’")) &&
			strings.HasPrefix(text, "Cross-Origin Request Blocked:")
	}
	return false
}

func (b *Browser) record(m Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.console = append(b.console, m)
}

// requirement is a file an engine needs, and the Debian package that has it.
type requirement struct {
	names []string // the first one found is used: a bare name in PATH, else a filepath.Glob pattern
	pkg   string
}

var requirements = map[Engine][]requirement{
	Chromium: {{[]string{"chromium", "chromium-browser", "google-chrome"}, "chromium"}},
	Firefox:  {{[]string{"firefox-esr", "firefox"}, "firefox-esr"}},
	WebKit: {
		{[]string{"WebKitWebDriver"}, "webkit2gtk-driver"},
		{[]string{"/usr/lib/*/webkit2gtk-4.1/MiniBrowser"}, "webkit2gtk-driver"}, // in libwebkit2gtk-4.1-0, which the driver depends on
		{[]string{"Xvfb"}, "xvfb"},
	},
}

// find returns the path of each requirement of e, in order.
func find(t testing.TB, e Engine) []string {
	t.Helper()
	var paths []string
	for _, r := range requirements[e] {
		p := lookPath(r.names)
		if p == "" {
			msg := fmt.Sprintf("%s: %s not installed (apt-get install -y %s)", e, r.names[0], r.pkg)
			if os.Getenv("CI") != "" {
				t.Fatal(msg + ": .ci/run should have installed it")
			}
			t.Skip(msg + "; CI runs this test")
		}
		paths = append(paths, p)
	}
	return paths
}

func lookPath(names []string) string {
	for _, n := range names {
		if strings.HasPrefix(n, "/") { // a pattern: the architecture is part of the path
			matches, _ := filepath.Glob(n)
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return m
				}
			}
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}
