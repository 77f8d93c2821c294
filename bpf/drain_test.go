package bpf

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// runTrue runs /bin/true n times and returns the pids.
func runTrue(t *testing.T, n int) map[int]bool {
	t.Helper()
	pids := map[int]bool{}
	for range n {
		cmd := exec.Command("/bin/true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pids[cmd.Process.Pid] = true
	}
	return pids
}

// Exits queued without a wakeup are all there for DrainExits, at once,
// and a second drain finds none of them again.
func TestDrainExits(t *testing.T) {
	c := openCollector(t, Options{ExitPoll: time.Hour})
	if _, err := c.DrainExits(func(Exit) {}); err != nil {
		t.Fatal(err)
	}
	pids := runTrue(t, 5)
	got := 0
	if _, err := c.DrainExits(func(e Exit) {
		if pids[int(e.Process.PID)] {
			got++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if got != len(pids) {
		t.Fatalf("drained %d of %d exits", got, len(pids))
	}
	again := 0
	c.DrainExits(func(e Exit) {
		if pids[int(e.Process.PID)] {
			again++
		}
	})
	if again != 0 {
		t.Fatalf("%d exits drained twice", again)
	}
}

// WaitExits sleeps through a trickle of exits and wakes when the
// programs force a wakeup (64 KiB queued, about 270 exits); it ends on
// cancel and on Close.
func TestWaitExitsWakesOnABatch(t *testing.T) {
	c := openCollector(t, Options{ExitPoll: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	woke := make(chan error, 1)
	// WaitExits returns at once while exits are queued: drain, and start
	// again if another process on the machine exited in between.
	for parked := false; !parked; {
		c.DrainExits(func(Exit) {})
		go func() { woke <- c.WaitExits(ctx) }()
		select {
		case <-woke:
		case <-time.After(200 * time.Millisecond):
			parked = true
		}
	}
	runTrue(t, 3)
	select {
	case err := <-woke:
		t.Fatalf("woke for a trickle of exits: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	runTrue(t, 400)
	select {
	case err := <-woke:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no wakeup after 400 exits")
	}
	n, err := c.DrainExits(func(Exit) {})
	t.Logf("awake within %v of the storm's start; %d exits drained", time.Since(start).Round(time.Millisecond), n)
	if err != nil || n < 64<<10/recordSize {
		t.Fatalf("drained %d exits after the wakeup (%v), want at least %d", n, err, 64<<10/recordSize)
	}

	short, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer stop()
	if err := c.WaitExits(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitExits past its context: %v", err)
	}
	go func() { woke <- c.WaitExits(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case err := <-woke:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("WaitExits after Close: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end WaitExits")
	}
}
