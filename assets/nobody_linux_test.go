package assets_test

import (
	"runtime"
	"syscall"
	"testing"
)

// asNobody runs f with the effective user nobody (65534) when the test runs
// as root, so that mode bits bind. Linux keeps credentials per thread, and
// the raw system call (unlike syscall.Setresuid) changes only the calling
// one: f runs on a thread locked to it, given back only once root again.
func asNobody(t *testing.T, f func()) {
	t.Helper()
	if syscall.Geteuid() != 0 {
		f()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		const keep = ^uintptr(0) // -1: leave the real and saved user as they are
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, keep, 65534, keep); e != 0 {
			runtime.UnlockOSThread()
			t.Errorf("setresuid(-1, 65534, -1): %v", e)
			return
		}
		f()
		if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, keep, 0, keep); e != 0 {
			t.Errorf("setresuid(-1, 0, -1): %v; the thread ends with the goroutine", e)
			return // still locked: the runtime ends the thread
		}
		runtime.UnlockOSThread()
	}()
	<-done
}
