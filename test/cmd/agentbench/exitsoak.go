package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/internal/procfs"
)

// exitSoak runs each kwardend binary given in eBPF-only mode (no module,
// no Docker engine) side by side under one fork/exit churn for d, and
// prints their anonymous memory every 30 s: a daemon that keeps a
// record per exit grows with the churn, one that does not stays flat.
// issue 9's finding 10: the exit oracle grew 11 MB in two minutes.
func exitSoak(ctx context.Context, bins []string, d time.Duration) error {
	dir, err := os.MkdirTemp("", "exitsoak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(ctx)
	var cmds []*exec.Cmd
	defer func() {
		cancel() // kills them (CommandContext), then they are reaped
		for _, c := range cmds {
			c.Wait()
		}
	}()
	var pids []int
	for i, bin := range bins {
		db := filepath.Join(dir, fmt.Sprintf("h%d.db", i))
		cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-sources", "ebpf", "-interval", "1s",
			"-db", db, "-docker-host", "unix://"+filepath.Join(dir, "none.sock"))
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", bin, err)
		}
		cmds = append(cmds, cmd)
		pids = append(pids, cmd.Process.Pid)
	}
	time.Sleep(5 * time.Second) // loaded and ticking
	churn := exec.CommandContext(ctx, "/bin/sh", "-c", "while :; do /bin/true; done")
	if err := churn.Start(); err != nil {
		return err
	}
	cmds = append(cmds, churn)
	start := time.Now()
	exits0 := forks()
	fmt.Printf("%8s %9s", "minutes", "exits")
	for _, b := range bins {
		fmt.Printf("  %24s", filepath.Base(filepath.Dir(b))+"/"+filepath.Base(b)+" RssAnon MiB")
	}
	fmt.Println()
	for {
		fmt.Printf("%8.1f %9d", time.Since(start).Minutes(), forks()-exits0)
		for _, pid := range pids {
			fmt.Printf("  %24.1f", anonMiB(pid))
		}
		fmt.Println()
		if time.Since(start) >= d {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
		}
	}
}

// forks is the system's count of forks since boot (/proc/stat).
func forks() int {
	b, _ := os.ReadFile("/proc/stat")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "processes "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// anonMiB is a process's anonymous resident memory.
func anonMiB(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	st, _ := procfs.ParseStatus(b)
	return float64(st.RssAnon) / (1 << 20)
}
