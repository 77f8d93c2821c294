// Command procviewbench measures what the third view costs a tick
// (internal/procview: the /proc listing, one faccessat per process, the
// mount table) at 1,000 and 10,000 processes, beside the eBPF read it
// checks and the full procfs walk a userland tool would make instead.
// The processes are taskfarm's sleepers (test/kmodvm/taskfarm), forked
// in a process group of their own and killed at the end.
//
//	go run ./test/cmd/procviewbench [-rounds 15]    # part of make bench (as root)
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/procview"
	"github.com/kwarden/kwarden/internal/snapshot"
)

func main() {
	rounds := flag.Int("rounds", 15, "reads of each kind per size")
	flag.Parse()
	if err := run(*rounds); err != nil {
		fmt.Fprintln(os.Stderr, "procviewbench:", err)
		os.Exit(1)
	}
}

func run(rounds int) error {
	tmp, err := os.MkdirTemp("", "procviewbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	farm := filepath.Join(tmp, "taskfarm")
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", farm, "test/kmodvm/taskfarm/taskfarm.c").CombinedOutput(); err != nil {
		return fmt.Errorf("build taskfarm: %v\n%s", err, out)
	}
	col, err := bpf.Open(bpf.Options{NoExits: true})
	if err != nil {
		return err
	}
	defer col.Close()
	ck, err := procview.New(procview.Options{})
	if err != nil {
		return err
	}
	defer ck.Close()
	fmt.Printf("procviewbench, %s: median of %d reads each\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), rounds)
	fmt.Println("| processes | eBPF read | third view check | full procfs walk | walk ÷ check |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: |")
	for _, n := range []int{1000, 10000} {
		stop, err := sleepers(farm, n)
		if err != nil {
			return err
		}
		err = measure(col, ck, rounds)
		stop()
		if err != nil {
			return err
		}
	}
	return nil
}

// sleepers forks n sleeping processes and returns what kills them all.
func sleepers(farm string, n int) (func(), error) {
	cmd := exec.Command(farm, "sleepers", strconv.Itoa(n))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		time.Sleep(time.Second) // let the kernel reap them before the next size
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready") {
		stop()
		return nil, fmt.Errorf("taskfarm sleepers %d: %q %v", n, line, err)
	}
	return stop, nil
}

func measure(col *bpf.Collector, ck *procview.Checker, rounds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var view, walked snapshot.Processes
	var tRead, tCheck, tWalk []time.Duration
	var hidden int
	w := procfs.Walker{}
	for range rounds {
		start := time.Now()
		if err := col.ProcessesInto(ctx, &view); err != nil {
			return err
		}
		tRead = append(tRead, time.Since(start))
		start = time.Now()
		r, err := ck.Check(nil, procview.View{Name: "ebpf", Processes: view.Processes})
		if err != nil {
			return err
		}
		tCheck = append(tCheck, time.Since(start))
		hidden = len(r.Hidden)
		start = time.Now()
		if err := w.WalkInto(ctx, &walked); err != nil {
			return err
		}
		tWalk = append(tWalk, time.Since(start))
	}
	med := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("| %d | %s | %s | %s | %.1f× |\n", len(view.Processes), ms(med(tRead)), ms(med(tCheck)), ms(med(tWalk)),
		float64(med(tWalk))/float64(med(tCheck)))
	if hidden > 0 {
		return fmt.Errorf("%d processes reported hidden on this machine", hidden)
	}
	return nil
}
