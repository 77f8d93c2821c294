package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

func scale(ctx context.Context, args []string) error {
	var g group
	defer g.abandon()
	for i, arg := range args {
		n, err := strconv.Atoi(arg)
		if err != nil {
			return err
		}
		rep, err := scaleOnce(ctx, &g, n)
		if err != nil {
			rep = &report.Scale{Sleepers: n, Error: err.Error()}
		}
		if err := record.Emit("scale", rep); err != nil {
			return err
		}
		if i < len(args)-1 {
			g.stop() // the smaller groups: a few thousand exits are fine
			settle()
		}
	}
	return nil
}

func scaleOnce(ctx context.Context, g *group, n int) (*report.Scale, error) {
	if err := os.WriteFile("/proc/sys/kernel/threads-max", []byte("100000"), 0); err != nil {
		return nil, err
	}
	pid, _, err := g.start(ctx, "kw-sleepers", "sleepers", strconv.Itoa(n))
	if err != nil {
		return nil, err
	}
	children, err := childrenOf(pid)
	if err != nil {
		return nil, err
	}
	if len(children) != n {
		return nil, fmt.Errorf("%d sleepers started, want %d", len(children), n)
	}
	settle()
	rep := &report.Scale{Sleepers: n}

	raw, err := readRaw("processes", 64<<10)
	if err != nil {
		return nil, err
	}
	rep.Bytes = len(raw)
	mod, err := parseChecked(raw)
	if err != nil {
		return nil, err
	}
	rep.Processes = len(mod.Processes)
	got := byPID(mod)
	for _, c := range children {
		if got[c] == nil {
			rep.Missing++
		}
	}
	rep.Readers = 200
	if rep.ReaderBytes, err = readerCost(rep.Readers); err != nil {
		return nil, err
	}
	ct, err := (&kmodfmt.Reader{}).Containers(ctx)
	if err != nil {
		return nil, fmt.Errorf("containers at scale: %w", err)
	}
	rep.Containers = len(ct.Containers)
	return rep, nil
}

// childrenOf lists the children of pid from /proc/<pid>/task/<pid>/children.
func childrenOf(pid int) ([]int32, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil, err
	}
	var out []int32
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, int32(n))
	}
	return out, nil
}

// readerCost opens n readers half-way into the process view and returns
// the kernel memory each costs. It uses raw system calls and buffers
// allocated up front so that the guest's own heap does not move.
func readerCost(n int) (int64, error) {
	fds := make([]int, 0, n)
	buf := make([]byte, 4096)
	defer func() {
		for _, fd := range fds {
			_ = syscall.Close(fd)
		}
	}()
	settle()
	before, err := kernelUsed()
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		fd, err := syscall.Open(procRoot+"/processes", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return 0, fmt.Errorf("open reader %d: %w", i, err)
		}
		fds = append(fds, fd)
		for got := 0; got < 64<<10; {
			m, err := syscall.Read(fd, buf)
			if err != nil || m == 0 {
				return 0, fmt.Errorf("read reader %d: %v (%d bytes)", i, err, got)
			}
			got += m
		}
	}
	after, err := kernelUsed()
	if err != nil {
		return 0, err
	}
	return (after - before) / int64(n), nil
}
