package connlimit

import (
	"testing"
	"time"
)

// The coarse clock's deadlines never start early, and its ticker runs
// only while a Conn uses it.
func TestCoarseClock(t *testing.T) {
	clock.acquire()
	time.Sleep(3 * clockTick)
	before := time.Now()
	if got := clock.after(time.Second); got.Before(before.Add(time.Second)) || got.After(before.Add(time.Second+clockLead)) {
		t.Errorf("after(1s) = now + %v, want 1 s to 1 s + %v", got.Sub(before), clockLead)
	}
	clock.release()
	deadline := time.Now().Add(5 * time.Second)
	for running(&clock) && time.Now().Before(deadline) {
		time.Sleep(clockTick)
	}
	if running(&clock) {
		t.Error("the ticker still runs 5 s after its last user left")
	}
	clock.acquire()
	defer clock.release()
	if !running(&clock) {
		t.Error("acquire did not start the ticker again")
	}
}

func running(k *coarseClock) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.running
}
