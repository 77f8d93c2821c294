package psi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrGone says that the file a trigger watches went away: its cgroup
// was removed. The trigger will never fire again; close it.
var ErrGone = errors.New("pressure file gone")

// ErrClosed is returned by Wait on a closed trigger, and by a Wait that
// Close ended.
var ErrClosed = errors.New("trigger closed")

// Trigger is a threshold armed in the kernel: Wait returns when tasks
// were stalled for the threshold's stall time within its window
// (Documentation/accounting/psi.rst). The kernel signals at most once a
// window, and a signal that came while nobody waited is kept for the
// next Wait, so an event between two calls is not lost.
//
// One goroutine may Wait at a time; Close may be called from any
// goroutine, also while Wait blocks, and ends that Wait.
type Trigger struct {
	path      string
	threshold threshold
	fd        int // the pressure file, holding the kernel's trigger
	wakeFd    int // an eventfd: written to end a Wait (ctx done, Close)
	guard     sinceBootGuard
	buf       []byte // for reads of the file; used by Wait only

	droppedEvents int // false events the guard dropped; for tests

	mu       sync.Mutex
	closed   bool
	waitDone chan struct{} // non-nil while a Wait runs; closed when it returns
}

// NewTrigger arms a trigger on a pressure file: /proc/pressure/memory,
// cpu or io, or a cgroup v2 memory.pressure, cpu.pressure or
// io.pressure. kind is KindSome or KindFull; the trigger fires when
// tasks were stalled for stall in total within any window.
//
// The kernel's rules are checked before anything is written, and a
// setting that breaks one is refused with the rule: a window from
// MinWindow to MaxWindow, a stall above 0 and at most the window, whole
// microseconds, and without CAP_SYS_RESOURCE (which root can lack, in a
// container) a window that is a multiple of UnprivilegedWindowStep. The
// file must be a pressure file: on procfs or cgroup2, and its contents
// must parse; anything else is refused before the write, so that a
// wrong path never has a threshold written into it. A kernel without
// PSI gives an error wrapping ErrUnsupported.
func NewTrigger(path string, kind string, stall, window time.Duration) (*Trigger, error) {
	th := threshold{kind: kind, stall: stall, window: window}
	privileged := hasCapSysResource()
	if err := th.check(privileged); err != nil {
		return nil, fmt.Errorf("arm trigger on %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EPERM) {
		// Before Linux 6.5 opening a pressure file for writing needs
		// CAP_SYS_RESOURCE, whatever the window.
		return nil, fmt.Errorf("arm trigger: open %s: %w (kernels before 6.5 arm triggers only with CAP_SYS_RESOURCE)", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("arm trigger: open %s: %w", path, unsupported(err))
	}
	t := &Trigger{path: path, threshold: th, fd: fd, wakeFd: -1, buf: make([]byte, 512)}
	if err := t.arm(privileged); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("arm trigger %v on %s: %w", th, path, err)
	}
	if t.wakeFd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("arm trigger on %s: eventfd: %w", path, err)
	}
	return t, nil
}

// arm checks that the open file is a pressure file, writes the
// threshold, and notes the stall total the guard needs. Writing the
// threshold to a regular file would overwrite its first bytes, and to a
// writable procfs or cgroupfs file (core_pattern, cgroup.procs) it would
// change a setting; the file system type and the current contents
// together rule both out before anything is written.
func (t *Trigger) arm(privileged bool) error {
	var fs unix.Statfs_t
	if err := unix.Fstatfs(t.fd, &fs); err != nil {
		return fmt.Errorf("fstatfs: %w", err)
	}
	if fs.Type != unix.PROC_SUPER_MAGIC && fs.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("not a pressure file: on neither procfs nor cgroup2 (file system 0x%x)", fs.Type)
	}
	if _, err := t.stallTotal(); err != nil {
		return err
	}
	if _, err := unix.Write(t.fd, t.threshold.text()); err != nil {
		return fmt.Errorf("write: %w", unsupported(err))
	}
	armedAt := time.Now()
	total, err := t.stallTotal()
	if err != nil {
		return err
	}
	t.guard = newSinceBootGuard(privileged, t.threshold, total, armedAt)
	return nil
}

// stallTotal reads the file and returns the stall total of the
// trigger's kind. The contents must parse: a file that does not is not
// a pressure file.
func (t *Trigger) stallTotal() (time.Duration, error) {
	n, err := unix.Pread(t.fd, t.buf, 0) // two lines of about 60 bytes
	if err != nil {
		return 0, fmt.Errorf("read: %w", unsupported(err))
	}
	r, err := ParseResource(t.buf[:n])
	if err != nil {
		return 0, fmt.Errorf("not a pressure file: %w", err)
	}
	if t.threshold.kind == KindFull {
		return r.Full.Total, nil
	}
	return r.Some.Total, nil
}

// hasCapSysResource reports whether the calling thread's effective
// capabilities hold CAP_SYS_RESOURCE, which the kernel checks on the
// opener of the file when the threshold is written. Should capget fail
// (it does not on Linux), the stricter unprivileged rule is applied.
func hasCapSysResource() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData // version 3 fills two: capabilities 0–31 and 32–63
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_RESOURCE/32].Effective&(1<<(unix.CAP_SYS_RESOURCE%32)) != 0
}

// Wait blocks until the trigger fires (nil), ctx is done (ctx.Err()),
// the trigger is closed (ErrClosed), or the file went away (ErrGone,
// named with the path). In an unprivileged trigger's first two windows
// it passes over the false events the kernel raises from the stall
// since boot (sinceboot.go).
//
// It blocks in poll(2) on the pressure file and an eventfd that ctx's
// end and Close write to, not in Go's network poller as the exit stream
// does (docs/ebpf.md): the kernel clears a trigger's event in the file's
// poll handler itself (psi_trigger_poll), so the epoll inside Go's
// poller would consume the event and hand the goroutine a bare wakeup,
// and on a cgroup file every open of the file shares one wait queue, so
// a bare wakeup does not mean this trigger fired. A goroutine parked in
// one long poll(2) cost nothing measurable on the build machine: 10 s
// of a 1 s ticker took 3.3 ms of CPU and 69 context switches with one,
// 3.9 ms and 71 without (Go's sysmon takes the processor from a thread
// in a system call after 10 ms and then leaves that thread alone).
func (t *Trigger) Wait(ctx context.Context) error {
	done, err := t.beginWait()
	if err != nil {
		return err
	}
	defer t.endWait(done)
	if err := ctx.Err(); err != nil {
		return err
	}
	// The wake must not outlive Wait: once Wait returns, Close may close
	// the eventfd and its number be reused by another file.
	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { t.wake(); close(woken) })
	defer func() {
		if !stop() {
			<-woken
		}
	}()
	fds := []unix.PollFd{
		{Fd: int32(t.fd), Events: unix.POLLPRI},
		{Fd: int32(t.wakeFd), Events: unix.POLLIN},
	}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue // a signal to this thread (Go preempts with SIGURG)
			}
			return fmt.Errorf("wait for %v: poll: %w", t, err)
		}
		// POLLERR before POLLPRI: a removed cgroup's file reports both.
		if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			return fmt.Errorf("wait for %v: %w", t, ErrGone)
		}
		if fds[0].Revents&unix.POLLPRI != 0 {
			if t.falseEvent() {
				continue
			}
			return nil
		}
		if fds[1].Revents != 0 {
			t.drainWake()
			if err := ctx.Err(); err != nil {
				return err
			}
			if t.isClosed() {
				return fmt.Errorf("wait for %v: %w", t, ErrClosed)
			}
			// A wake left over from an earlier Wait's context, which
			// ended just as that Wait returned: wait on.
		}
	}
}

// falseEvent applies the guard (sinceboot.go) to an event just raised.
// A file that cannot be read is no reason to drop an event: it counts.
func (t *Trigger) falseEvent() bool {
	now := time.Now()
	if !t.guard.active(now) {
		return false
	}
	total, err := t.stallTotal()
	if err != nil || !t.guard.falseEvent(now, total) {
		return false
	}
	t.droppedEvents++
	slog.Debug("psi: dropped a trigger event raised from the stall since boot",
		"trigger", t.String(), "stall_since_armed", total-t.guard.armed)
	return true
}

// beginWait marks a Wait as running; Close waits for it before it
// closes the descriptors, which poll(2) may still be using.
func (t *Trigger) beginWait() (chan struct{}, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed:
		return nil, fmt.Errorf("wait for %v: %w", t, ErrClosed)
	case t.waitDone != nil:
		return nil, fmt.Errorf("wait for %v: another goroutine is waiting", t)
	}
	t.waitDone = make(chan struct{})
	return t.waitDone, nil
}

func (t *Trigger) endWait(done chan struct{}) {
	t.mu.Lock()
	t.waitDone = nil
	t.mu.Unlock()
	close(done)
}

func (t *Trigger) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// wake makes a poll(2) in Wait return. An eventfd adds up what is
// written (any non-zero 8-byte value will do), so a wake is never lost;
// a write fails only near 2^64, which drainWake keeps from happening.
func (t *Trigger) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(t.wakeFd, one[:])
}

// drainWake resets the eventfd's counter to zero.
func (t *Trigger) drainWake() {
	var b [8]byte
	_, _ = unix.Read(t.wakeFd, b[:])
}

// Close removes the trigger from the kernel (by closing the file) and
// ends a Wait in progress with ErrClosed, waiting for it to return. It
// may be called twice.
func (t *Trigger) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	done := t.waitDone
	t.mu.Unlock()
	if done != nil {
		t.wake()
		<-done
	}
	return errors.Join(unix.Close(t.fd), unix.Close(t.wakeFd))
}

// String names the threshold and the file, as errors do.
func (t *Trigger) String() string {
	return fmt.Sprintf("%v on %s", t.threshold, t.path)
}
