package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is wrapped by Open's error when another process holds the
// database.
var ErrLocked = errors.New("history database in use")

// lockFile takes bbolt's advisory lock (flock: exclusive for a writer,
// shared for a reader) on f before bbolt does, so that a second kwardend
// on the same file is told who holds it instead of bbolt's bare
// "timeout". bbolt's own flock on the same descriptor then succeeds at
// once: flock locks belong to the open file, not the process.
func lockFile(f *os.File, path string, exclusive bool, timeout time.Duration) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock history %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			who := "another process"
			if h := lockHolder(f); h != "" {
				who = h
			}
			return fmt.Errorf("history %s is held by %s (waited %v): %w; stop it, or give this one another database path",
				path, who, timeout, ErrLocked)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unlockFile releases the lock whatever else holds the open file.
func unlockFile(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }

// lockHolder names the process holding a flock on f's file, from
// /proc/locks ("1: FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> 0 EOF"),
// or "" when it cannot tell (another pid namespace, no /proc).
func lockHolder(f *os.File) string {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return ""
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return ""
	}
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	self := os.Getpid()
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		// A blocked waiter's line has "->" after the number.
		if len(fs) < 6 || fs[1] != "FLOCK" || fs[5] != want {
			continue
		}
		pid, err := strconv.Atoi(fs[4])
		if err != nil || pid == self || pid <= 0 {
			continue
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if c := strings.TrimSpace(string(comm)); c != "" {
			return fmt.Sprintf("pid %d (%s)", pid, c)
		}
		return fmt.Sprintf("pid %d", pid)
	}
	return ""
}
