package assets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
)

const secret = "TOP-SECRET-do-not-serve"

// TestTraversal sends each hostile request line byte for byte: whatever
// fasthttp makes of it, the answer is a 404 that leaks neither the secret
// beside the root nor any file system path.
func TestTraversal(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside") // a sibling: "../outside" from the root
	writeTree(t, root, map[string]string{
		"css/a.css":        cssBody,
		".env":             secret,
		".git/config":      secret,
		"css/.hidden.css":  secret,
		".well-known/x.js": secret,
		"fonts/f.woff2":    fontBody,
	})
	writeTree(t, outside, map[string]string{"secret.txt": secret, "dir/s.css": secret})
	symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(root, "css/out.css"))
	symlink(t, filepath.Join(outside, "dir"), filepath.Join(root, "outdir"))
	symlink(t, "../../outside/secret.txt", filepath.Join(root, "css/rel-out.css"))
	symlink(t, "a.css", filepath.Join(root, "css/in.css"))
	symlink(t, "../css", filepath.Join(root, "fonts/css"))

	// Real files behind a long path: only the length cap refuses the longer one.
	deep := strings.Repeat(strings.Repeat("d", 200)+"/", 4) + "a.css"    // 809 bytes
	deeper := strings.Repeat(strings.Repeat("d", 200)+"/", 10) + "a.css" // 2015 bytes
	writeTree(t, root, map[string]string{deep: cssBody, deeper: cssBody})
	tests := []struct {
		desc   string
		target string
	}{
		{"dot-dot", "/../outside/secret.txt"},
		{"dot-dot inside path", "/css/../../outside/secret.txt"},
		{"encoded dot-dot", "/%2e%2e/outside/secret.txt"},
		{"encoded dot-dot and slash", "/%2e%2e%2foutside%2fsecret.txt"},
		{"dot-dot encoded slash", "/..%2f..%2f..%2fetc/passwd"},
		{"mixed case encoding", "/%2E%2E/outside/secret.txt"},
		{"double encoded", "/%252e%252e/outside/secret.txt"},
		{"encoded backslash", "/..%5coutside%5csecret.txt"},
		{"raw backslashes", `/\..\outside\secret.txt`},
		{"backslash segment", `/css\..\..\outside\secret.txt`},
		{"encoded NUL", "/css/a.css%00.txt"},
		{"NUL alone", "/%00"},
		{"dotfile", "/.env"},
		{"encoded dotfile", "/%2eenv"},
		{"dot-directory", "/.git/config"},
		{"dotfile in folder", "/css/.hidden.css"},
		{"well-known", "/.well-known/x.js"},
		{"directory with slash", "/fonts/"},
		{"directory", "/fonts"},
		{"symlink out", "/css/out.css"},
		{"relative symlink out", "/css/rel-out.css"},
		{"symlinked directory out", "/outdir/s.css"},
		{"symlinked directory in, listed", "/fonts/css/"},
		{"double slash", "//outside/secret.txt"},
		{"absolute form", "http://assets.test/../outside/secret.txt"},
		{"2000-byte path", "/" + deeper},
		{"absolute path in segment", "/" + filepath.ToSlash(outside) + "/secret.txt"},
	}
	h := newHarness(t, assets.Options{Root: root}, assets.Hints{Vary: hintsVary})
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := h.get(t, "GET", tc.target)
			if r.status != 404 {
				t.Errorf("status %d, want 404", r.status)
			}
			if strings.Contains(r.body, secret) || strings.Contains(r.body, base) {
				t.Errorf("body leaks: %q", r.body)
			}
			checkHeaders(t, r.header, map[string]string{"Access-Control-Allow-Origin": fakeCORS, "Vary": "Origin"})
		})
	}

	t.Run("symlinks inside the root and long paths are served", func(t *testing.T) {
		for _, target := range []string{"/css/in.css", "/fonts/css/a.css", "/" + deep} {
			if r := h.get(t, "GET", target); r.status != 200 || r.body != cssBody {
				t.Errorf("%s: %d %q, want 200 with the file", target, r.status, r.body)
			}
		}
	})
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
}

// TestServeUncleanedPaths hands Serve paths that fasthttp would have cleaned:
// Serve must refuse them by itself, whoever its caller is.
func TestServeUncleanedPaths(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	writeTree(t, root, map[string]string{"css/a.css": cssBody, ".env": secret})
	writeTree(t, filepath.Join(base, "outside"), map[string]string{"secret.txt": secret})
	srv, err := assets.New(assets.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		desc string
		path string
	}{
		{"dot-dot", "/../outside/secret.txt"},
		{"dot-dot inside", "/css/../../outside/secret.txt"},
		{"dot segment", "/./css/a.css"},
		{"empty segment", "/css//a.css"},
		{"trailing slash", "/css/a.css/"},
		{"backslashes", `/..\outside\secret.txt`},
		{"NUL", "/css/a.css\x00"},
		{"control byte", "/css/\na.css"},
		{"no leading slash", "css/a.css"},
		{"empty", ""},
		{"literal percent sequence", "/%2e%2e/outside/secret.txt"},
		{"dotfile", "/.env"},
		{"over-long", "/css/" + strings.Repeat("x", 1100) + ".css"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var ctx fasthttp.RequestCtx
			ctx.Request.SetRequestURI("/ignored")
			srv.Serve(&ctx, []byte(tc.path), assets.Hints{})
			if got := ctx.Response.StatusCode(); got != 404 {
				t.Errorf("status %d, want 404", got)
			}
			if body := string(ctx.Response.Body()); strings.Contains(body, secret) || strings.Contains(body, base) {
				t.Errorf("body leaks: %q", body)
			}
		})
	}
}
