package assets_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/valyala/fasthttp"

	"corsedge/assets"
)

// failingFS fails opening (open) or reading (read) the names it lists with
// the error given, as a disk can; other names come from MapFS.
type failingFS struct {
	fstest.MapFS
	open, read map[string]error
}

func (f failingFS) Open(name string) (fs.File, error) {
	if err := f.open[name]; err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	file, err := f.MapFS.Open(name)
	if err == nil && f.read[name] != nil {
		return failingFile{file, f.read[name]}, nil
	}
	return file, err
}

type failingFile struct {
	fs.File
	err error
}

func (f failingFile) Read([]byte) (int, error) { return 0, &fs.PathError{Op: "read", Err: f.err} }

// TestUnavailable maps each failure of the file system to its answer: the
// server's own trouble (permission, I/O, descriptors, memory) is a 503 that
// no cache keeps and that Serve returns; what the request asked for not
// being there is a 404 and no error. Errors come from a file system that
// fails on purpose: as root, chmod 000 provokes no EACCES.
func TestUnavailable(t *testing.T) {
	tests := []struct {
		desc      string
		open      error
		read      error
		status    int
		wantError error // what Serve returns wraps it; nil: Serve returns nil
	}{
		{desc: "permission denied", open: syscall.EACCES, status: 503, wantError: syscall.EACCES},
		{desc: "operation not permitted", open: syscall.EPERM, status: 503, wantError: syscall.EPERM},
		{desc: "I/O error", open: syscall.EIO, status: 503, wantError: syscall.EIO},
		{desc: "descriptors exhausted", open: syscall.EMFILE, status: 503, wantError: syscall.EMFILE},
		{desc: "system file table full", open: syscall.ENFILE, status: 503, wantError: syscall.ENFILE},
		{desc: "no memory", open: syscall.ENOMEM, status: 503, wantError: syscall.ENOMEM},
		{desc: "stale NFS handle", open: syscall.ESTALE, status: 503, wantError: syscall.ESTALE},
		{desc: "I/O error while reading", read: syscall.EIO, status: 503, wantError: syscall.EIO},
		{desc: "not found", open: syscall.ENOENT, status: 404},
		{desc: "not a directory", open: syscall.ENOTDIR, status: 404},
		{desc: "symlink loop", open: syscall.ELOOP, status: 404},
		{desc: "name too long", open: syscall.ENAMETOOLONG, status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			const name = "css/a.css"
			fsys := failingFS{
				MapFS: fstest.MapFS{name: {Data: []byte(cssBody)}},
				open:  map[string]error{name: tc.open},
				read:  map[string]error{name: tc.read},
			}
			srv := assets.NewFS(fsys)
			defer srv.Close()
			var ctx fasthttp.RequestCtx
			ctx.Request.SetRequestURI("/" + name)
			err := srv.Serve(&ctx, ctx.Path(), assets.Hints{Vary: hintsVary, CacheControl: hintCacheControl})
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if strings.Contains(string(ctx.Response.Body()), name) {
				t.Errorf("body names the file: %q", ctx.Response.Body())
			}
			checkUnavailable(t, &ctx.Response.Header, tc.status)
			switch {
			case tc.wantError == nil && err != nil:
				t.Errorf("Serve returned %v, want nil", err)
			case tc.wantError != nil && !errors.Is(err, tc.wantError):
				t.Errorf("Serve returned %v, want an error wrapping %v", err, tc.wantError)
			}
		})
	}
}

// checkUnavailable checks the cache lifetime of an error answer: a 503 is
// kept by no cache and says when to retry; a 404 is cached briefly.
func checkUnavailable(t *testing.T, h *fasthttp.ResponseHeader, status int) {
	t.Helper()
	cc, retry := string(h.Peek("Cache-Control")), string(h.Peek("Retry-After"))
	switch status {
	case 503:
		if cc != "no-store" || retry != "1" {
			t.Errorf("Cache-Control %q, Retry-After %q; want no-store and 1", cc, retry)
		}
	case 404:
		if cc != "public, max-age=60" || retry != "" {
			t.Errorf("Cache-Control %q, Retry-After %q; want public, max-age=60 and none", cc, retry)
		}
	}
}

// TestPermissionOnDisk serves a file of mode 000 from a real disk: a 503,
// and Serve returns the permission error. Root reads any file (its
// CAP_DAC_OVERRIDE), so as root the request is served on a thread that has
// taken another user's identity (asNobody).
func TestPermissionOnDisk(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"css/a.css": cssBody})
	if err := os.Chmod(filepath.Join(root, "css/a.css"), 0); err != nil {
		t.Fatal(err)
	}
	srv, err := assets.New(assets.Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/css/a.css")
	asNobody(t, func() {
		err = srv.Serve(&ctx, ctx.Path(), assets.Hints{Vary: hintsVary})
	})
	if got := ctx.Response.StatusCode(); got != 503 {
		t.Errorf("status %d, want 503", got)
	}
	checkUnavailable(t, &ctx.Response.Header, 503)
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Serve returned %v, want a permission error", err)
	}
}
