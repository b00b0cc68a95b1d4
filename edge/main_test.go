package edge_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"corsedge/assets"
	"corsedge/edge"
)

// childEnv, when set, makes the test binary a corsedge server under a lowered
// descriptor limit instead of running tests (see startChild).
const childEnv = "CORSEDGE_TEST_CHILD_DIR"

// childNOFILE is the child's RLIMIT_NOFILE, soft and hard.
const childNOFILE = 256

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(runChild(dir))
	}
	os.Exit(m.Run())
}

// runChild serves dir/rules.toml and dir/root on loopback with
// RLIMIT_NOFILE lowered to childNOFILE, prints "PUBLIC ADMIN", and obeys
// stdin: "hog" takes every free descriptor, "free" gives them back, EOF
// shuts down.
func runChild(dir string) int {
	// Set by the child itself: Go raises the soft limit to the hard one at
	// start, so the parent's limit would not stay lowered.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: childNOFILE, Max: childNOFILE}); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		return 2
	}
	files, err := assets.New(assets.Options{Root: filepath.Join(dir, "root")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	srv, err := edge.New(edge.Config{RulesFile: filepath.Join(dir, "rules.toml"), Assets: files, Poll: -1,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	public, err1 := net.Listen("tcp", "127.0.0.1:0")
	admin, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		return 2
	}
	fmt.Println(public.Addr(), admin.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel()
		var hogs []*os.File
		for in := bufio.NewScanner(os.Stdin); in.Scan(); {
			switch in.Text() {
			case "hog":
				for {
					f, err := os.Open(os.DevNull)
					if err != nil {
						break
					}
					hogs = append(hogs, f)
				}
				fmt.Println("hogged", len(hogs))
			case "free":
				for _, f := range hogs {
					f.Close()
				}
				hogs = nil
				fmt.Println("freed")
			}
		}
	}()
	if err := srv.Run(ctx, public, admin); err != nil {
		fmt.Fprintln(os.Stderr, "Run:", err)
		return 1
	}
	return 0
}
