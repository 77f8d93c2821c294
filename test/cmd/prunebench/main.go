// Command prunebench measures the prune of a backlog: a day of history
// of 100 containers at 1 s, all of it older than the raw retention, as a
// lab VM has after being switched off for a day. The prune runs in a
// child process, so that its peak RSS is its own; it reports the time,
// the peak, the steps and the longest step (what a tick waiting for the
// write lock waits at most).
//
//	go run ./test/cmd/prunebench [-containers 100] [-hours 24]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/test/historytest"
)

type result struct {
	Seconds      float64 `json:"seconds"`
	Steps        int     `json:"steps"`
	Folded       int     `json:"folded"`
	MaxStepMs    float64 `json:"max_step_ms"`
	MaxStepAt    int     `json:"max_step_at"`
	MedianStepMs float64 `json:"median_step_ms"`
	P99StepMs    float64 `json:"p99_step_ms"`
	PeakAnonMiB  int     `json:"peak_anon_mib"` // RssAnon: the heap and stacks, not the mapped file
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "prunebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	containers := flag.Int("containers", 100, "containers running throughout the history")
	hours := flag.Int("hours", 24, "hours of history at 1 s")
	child := flag.String("child", "", "internal: prune this database and print the result")
	keep := flag.Bool("keep", false, "keep the database")
	flag.Parse()
	now := time.Now().Truncate(time.Minute)
	if *child != "" {
		return prune(*child, now)
	}
	dir, err := os.MkdirTemp("", "prunebench-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	db := filepath.Join(dir, "history.db")
	start := time.Now()
	s, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	ticks := *hours * 3600
	// The history ends a day ago; one tick now makes all of it due.
	err = historytest.Write(s, historytest.Spec{From: now.Add(-24*time.Hour - time.Duration(ticks)*time.Second),
		Ticks: ticks, Containers: *containers})
	if err == nil {
		err = s.WriteTick(store.Tick{System: store.SystemPoint{Time: now}})
	}
	s.Close()
	if err != nil {
		return err
	}
	fi, _ := os.Stat(db)
	fmt.Printf("history: %d h of %d containers at 1 s, %d MB, written in %.1f s\n", *hours, *containers, fi.Size()>>20,
		time.Since(start).Seconds())
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, "-child", db)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("child: %w", err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("child said %q: %w", out, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("prune: %.1f s, peak RSS %d MiB (of which anonymous %d MiB; the rest is the mapped file), %d steps, %d points folded\n",
		r.Seconds, ru.Maxrss>>10, r.PeakAnonMiB, r.Steps, r.Folded)
	fmt.Printf("steps: median %.0f ms, p99 %.0f ms, longest %.0f ms (step %d)\n", r.MedianStepMs, r.P99StepMs, r.MaxStepMs, r.MaxStepAt)
	return nil
}

// anonMiB is the process's anonymous resident memory (the heap and
// stacks, not the mapped file).
func anonMiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	st, _ := procfs.ParseStatus(b)
	return int(st.RssAnon >> 20)
}

// prune runs the daemon's pruning, step by step, and prints the result.
func prune(db string, now time.Time) error {
	s, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	var r result
	var steps []float64
	start := time.Now()
	for {
		t := time.Now()
		st, more, err := s.PruneStep(now)
		if err != nil {
			return err
		}
		ms := float64(time.Since(t).Microseconds()) / 1000
		if ms > r.MaxStepMs {
			r.MaxStepMs, r.MaxStepAt = ms, len(steps)
		}
		steps = append(steps, ms)
		r.Folded += st.Folded
		r.PeakAnonMiB = max(r.PeakAnonMiB, anonMiB())
		if !more {
			break
		}
	}
	r.Seconds = time.Since(start).Seconds()
	r.Steps = len(steps)
	slices.Sort(steps)
	r.MedianStepMs, r.P99StepMs = steps[len(steps)/2], steps[len(steps)*99/100]
	return json.NewEncoder(os.Stdout).Encode(r)
}
