package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// cpuShare is a CPU time over a wall time, as % of one core.
func cpuShare(cpu, wall time.Duration) float64 {
	return 100 * cpu.Seconds() / wall.Seconds()
}

// cpuOver measures the CPU % of each pid over d.
func cpuOver(ctx context.Context, proc procFS, d time.Duration, pids ...int) ([]float64, error) {
	before := make([]cpuTimes, len(pids))
	for i, pid := range pids {
		var err error
		if before[i], err = proc.cpu(pid); err != nil {
			return nil, fmt.Errorf("pid %d: %w", pid, err)
		}
	}
	start := time.Now()
	if err := sleep(ctx, d); err != nil {
		return nil, err
	}
	out := make([]float64, len(pids))
	for i, pid := range pids {
		after, err := proc.cpu(pid)
		if err != nil {
			return nil, fmt.Errorf("pid %d: %w", pid, err)
		}
		out[i] = cpuShare(after.own()-before[i].own(), time.Since(start))
	}
	return out, nil
}

// pausedWindow measures dockerd, and the other pids given, with the peer
// stopped (SIGSTOP, then SIGCONT).
func pausedWindow(ctx context.Context, o options, what string, pids ...int) ([]float64, error) {
	fmt.Fprintf(os.Stderr, "peerbench: %v of dockerd with the peer paused (SIGSTOP %d), %s\n", o.window, o.peerPid, what)
	if err := syscall.Kill(o.peerPid, syscall.SIGSTOP); err != nil {
		return nil, fmt.Errorf("pause the peer: %w", err)
	}
	defer syscall.Kill(o.peerPid, syscall.SIGCONT)
	// Let requests in flight from the peer finish in dockerd.
	if err := sleep(ctx, time.Second); err != nil {
		return nil, err
	}
	return cpuOver(ctx, o.proc, o.window, append([]int{o.dockerdPid}, pids...)...)
}

// aloneWindow measures dockerd and the peer, without kwardend.
func aloneWindow(ctx context.Context, o options) (dockerd, peer float64, err error) {
	fmt.Fprintf(os.Stderr, "peerbench: %v of dockerd with the peer alone\n", o.window)
	v, err := cpuOver(ctx, o.proc, o.window, o.dockerdPid, o.peerPid)
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}

// jointWindow measures both daemons over one window: CPU, RSS, scrapes.
func jointWindow(ctx context.Context, o options, cgs [2]*cgroupTruth, kw, peer *side, rep *report) error {
	fmt.Fprintf(os.Stderr, "peerbench: %v of both daemons, %d scrapes each\n", o.window, o.scrapes)
	pids := []int{kw.pid, peer.pid}
	if o.dockerdPid > 0 {
		pids = append(pids, o.dockerdPid)
	}
	// The cpu container's counter every 100 ms, from 2 s before the first
	// scrape (a daemon's figure can be that old) to the end: the truth
	// at each daemon's own sample times.
	var mu sync.Mutex
	var log cpuLog
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if ns, err := cgs[0].cpu(); err == nil {
				mu.Lock()
				log = append(log, cpuPoint{time.Now(), ns})
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}

	var before []cpuTimes
	for _, pid := range pids {
		c, err := o.proc.cpu(pid)
		if err != nil {
			return fmt.Errorf("pid %d: %w", pid, err)
		}
		before = append(before, c)
	}
	start := time.Now()

	// RSS every second, in the background.
	peaks := make([]uint64, 2)
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			for i, pid := range pids[:2] {
				if r, err := o.proc.rss(pid); err == nil {
					mu.Lock()
					peaks[i] = max(peaks[i], r)
					mu.Unlock()
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})

	sides := [2]*side{kw, peer}
	for i := range o.scrapes {
		at := start.Add(time.Duration(i) * o.window / time.Duration(o.scrapes-1))
		if err := sleep(ctx, time.Until(at)); err != nil {
			return err
		}
		for j := range 2 {
			s := sides[(i+j)%2] // alternate which goes first
			if err := s.scrape(ctx, cgs, o); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
	}
	wall := time.Since(start)
	close(stop)
	wg.Wait()
	for i, pid := range pids {
		after, err := o.proc.cpu(pid)
		if err != nil {
			return fmt.Errorf("pid %d: %w", pid, err)
		}
		share := cpuShare(after.own()-before[i].own(), wall)
		children := cpuShare(after.children()-before[i].children(), wall)
		switch i {
		case 0, 1:
			sides[i].cpu, sides[i].childCPU, sides[i].rssPeak = share, children, peaks[i]
			if sides[i].rssEnd, err = o.proc.rss(pid); err != nil {
				return fmt.Errorf("pid %d: %w", pid, err)
			}
			sides[i].rssPeak = max(sides[i].rssPeak, sides[i].rssEnd)
		case 2:
			rep.dockerd.both = share
		}
	}
	rep.wall, rep.cpuLog = wall, log
	return nil
}
