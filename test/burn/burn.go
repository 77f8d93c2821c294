// Package burn is the child process that exit-hook tests run: it spends a
// known amount of CPU on two threads, reports what it measured of itself,
// and exits, so that a test can bracket the final CPU time an exit hook
// reports between the child's own figure and wait4's.
package burn

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// ExitCode is the status the child exits with.
const ExitCode = 7

// AndExit spins two OS threads for d, prints the process's CPU time in
// ns (CLOCK_PROCESS_CPUTIME_ID, which also brings the calling thread's
// scheduler runtime up to date) and exits with ExitCode.
func AndExit(d time.Duration) {
	done := make(chan struct{})
	for range 2 {
		go func() {
			runtime.LockOSThread()
			end := time.Now().Add(d)
			for time.Now().Before(end) {
			}
			done <- struct{}{}
		}()
	}
	<-done
	<-done
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
	fmt.Println(ts.Nano())
	os.Exit(ExitCode)
}
