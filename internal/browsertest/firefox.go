package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"
)

// firefox is headless Firefox driven over WebDriver BiDi, which it serves
// itself when started with --remote-debugging-port: no geckodriver.
type firefox struct {
	conn *bidi
	page string // the browsing context (tab) the page loads in
}

func startFirefox(ctx context.Context, t testing.TB, b *Browser, path string, o Options) (driver, error) {
	profile := t.TempDir() // fresh: no cache, cookies or preflight cache from another run
	// Port 0: Firefox picks a free port and says which on stderr. The
	// remote agent sets its recommended preferences itself (no first-run
	// pages, updates or telemetry), so the profile needs no user.js.
	cmd := exec.Command(path, "--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0")
	out := &output{announce: bidiListening, found: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	g, err := startGroup(cmd)
	if err != nil {
		return nil, err
	}
	f := &firefox{}
	t.Cleanup(func() { f.close(g) }) // before t.TempDir removes the profile
	var url string
	select {
	case url = <-out.found:
	case <-g.exited:
		return nil, fmt.Errorf("firefox exited: %s", out.tail())
	case <-ctx.Done():
		return nil, fmt.Errorf("no WebDriver BiDi server announced: %w; output: %s", ctx.Err(), out.tail())
	}
	f.conn, err = dialBiDi(ctx, url+"/session", func(method string, params json.RawMessage) {
		if method != "log.entryAdded" {
			return
		}
		var e struct {
			Level string `json:"level"`
			Text  string `json:"text"`
		}
		if json.Unmarshal(params, &e) == nil {
			b.record(Message{Level: e.Level, Text: e.Text})
		}
	})
	if err != nil {
		return nil, err
	}
	caps := map[string]any{}
	if len(o.TrustedKeys) > 0 {
		caps["acceptInsecureCerts"] = true
	}
	if err := f.conn.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{"alwaysMatch": caps}}, nil); err != nil {
		return nil, err
	}
	if err := f.conn.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil); err != nil {
		return nil, err
	}
	// The first window's tab may appear a moment after the session.
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	for {
		if err := f.conn.call(ctx, "browsingContext.getTree", map[string]any{}, &tree); err != nil {
			return nil, err
		}
		if len(tree.Contexts) > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("firefox opened no tab: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	f.page = tree.Contexts[0].Context
	return f, nil
}

func (f *firefox) open(ctx context.Context, url string) error {
	return f.conn.call(ctx, "browsingContext.navigate", map[string]any{"context": f.page, "url": url, "wait": "complete"}, nil)
}

// close asks Firefox to quit (browser.close), then stops what is left.
func (f *firefox) close(g *group) {
	if f.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f.conn.call(ctx, "browser.close", map[string]any{}, nil)
		cancel()
		f.conn.close()
	}
	g.stop(5 * time.Second)
}

var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// output is what a program writes to stdout and stderr. It keeps the last
// bytes, for error messages, and when announce is set it looks for a line
// matching it and sends the first submatch on found, once.
type output struct {
	announce *regexp.Regexp
	found    chan string // buffered: 1

	mu   sync.Mutex // guards buf and sent
	buf  []byte
	sent bool
}

const outputKeep = 8 << 10

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if o.announce != nil && !o.sent {
		if m := o.announce.FindSubmatch(o.buf); m != nil {
			o.found <- string(m[1])
			o.sent = true
		}
	}
	if len(o.buf) > outputKeep {
		o.buf = append(o.buf[:0], o.buf[len(o.buf)-outputKeep/2:]...)
	}
	return len(p), nil
}

func (o *output) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}
