package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// webkit is WebKitGTK's MiniBrowser under WebKitWebDriver, on an X display
// of its own (Xvfb): WebKitGTK has no headless mode.
type webkit struct {
	wd *webDriver
}

// startWebKit starts Xvfb, then WebKitWebDriver on it; paths are
// WebKitWebDriver, MiniBrowser and Xvfb.
func startWebKit(ctx context.Context, t testing.TB, paths []string, o Options) (driver, error) {
	driverPath, miniBrowser, xvfb := paths[0], paths[1], paths[2]
	display, err := startXvfb(ctx, t, xvfb)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	home := t.TempDir() // MiniBrowser's caches and data, not the user's
	cmd := exec.Command(driverPath, "--port="+port)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "GDK_BACKEND=x11", "NO_AT_BRIDGE=1",
		"HOME="+home, "XDG_CACHE_HOME="+home+"/cache", "XDG_DATA_HOME="+home+"/data", "XDG_CONFIG_HOME="+home+"/config")
	out := &output{}
	cmd.Stdout, cmd.Stderr = out, out
	g, err := startGroup(cmd)
	if err != nil {
		return nil, err
	}
	w := &webkit{wd: &webDriver{base: "http://127.0.0.1:" + port}}
	t.Cleanup(func() { w.close(g) }) // before the display goes and t.TempDir removes home
	caps := map[string]any{
		"browserName": "MiniBrowser",
		"webkitgtk:browserOptions": map[string]any{
			"binary": miniBrowser,
			"args":   []string{"--automation"},
		},
	}
	if len(o.TrustedKeys) > 0 {
		caps["acceptInsecureCerts"] = true
	}
	// The driver listens a moment after it starts: retry while it refuses.
	for {
		err = w.wd.newSession(ctx, caps)
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
			break
		}
		select {
		case <-g.exited:
			return nil, fmt.Errorf("WebKitWebDriver exited: %s", out.tail())
		case <-ctx.Done():
			return nil, fmt.Errorf("WebKitWebDriver not listening: %w; output: %s", ctx.Err(), out.tail())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w; output: %s", err, out.tail())
	}
	return w, nil
}

func (w *webkit) open(ctx context.Context, url string) error { return w.wd.navigate(ctx, url) }

func (w *webkit) close(g *group) {
	if w.wd.session != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		w.wd.deleteSession(ctx)
		cancel()
	}
	// The driver does not exit by itself; MiniBrowser is in its group.
	g.stop(2 * time.Second)
}

// startXvfb starts an X server on the first free display and returns its
// name (":N"); -displayfd makes Xvfb pick the display and write its number
// once it accepts connections.
func startXvfb(ctx context.Context, t testing.TB, path string) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	cmd := exec.Command(path, "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "1280x800x24")
	cmd.ExtraFiles = []*os.File{w} // fd 3
	out := &output{}
	cmd.Stdout, cmd.Stderr = out, out
	g, err := startGroup(cmd)
	w.Close()
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { g.stop(2 * time.Second) })
	if deadline, ok := ctx.Deadline(); ok {
		r.SetReadDeadline(deadline)
	}
	var b strings.Builder
	buf := make([]byte, 16)
	for !strings.HasSuffix(b.String(), "\n") {
		n, err := r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return "", fmt.Errorf("no display number from Xvfb (%v): %s", err, out.tail())
		}
	}
	return ":" + strings.TrimSpace(b.String()), nil
}
