// Command reactbench measures how soon kwardend acts on what it sees,
// through the real parts: the kwardend binary, a private dockerd with
// the workload images, the built-in policies as plugin subprocesses.
//
//  1. A limit crossed, to the container stopped, in ticks: threshold
//     (CPU above 50 %, no grace, stop) at a 1 s tick; a busy container
//     crosses at its first measured tick.
//
//  2. Memory pressure, to the container killed, in milliseconds:
//     pressure (some_recent above 10 %) at the course's 10 s tick, with
//     kwardend's default PSI trigger (200 ms of stall in 2 s); a
//     container thrashing its page cache in a 32 MiB limit. The time
//     runs from the moment a trigger armed like kwardend's fires in this
//     process.
//
//     go run ./test/cmd/reactbench [-trials 5]       # part of make bench (as root)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/internal/psi"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/policytest"
)

func main() {
	trials := flag.Int("trials", 5, "containers per measure")
	flag.Parse()
	if err := run(*trials); err != nil {
		fmt.Fprintln(os.Stderr, "reactbench:", err)
		os.Exit(1)
	}
}

// rig is a private dockerd and the pieces kwardend runs on.
type rig struct {
	eng      *dockertest.Daemon
	tmp      string
	kwardend string
	policies string
}

func run(trials int) error {
	if err := dockertest.Available(); err != nil {
		return err
	}
	ctx := context.Background()
	root, _ := filepath.Abs(".")
	tmp, err := os.MkdirTemp("", "reactbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	defer policytest.Cleanup()
	r := &rig{tmp: tmp, kwardend: filepath.Join(tmp, "kwardend"), policies: filepath.Join(tmp, "policies")}
	build := exec.CommandContext(ctx, "go", "build", "-o", r.kwardend, "./agent/cmd/kwardend")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build kwardend: %v\n%s", err, out)
	}
	if err := policytest.Layout(root, r.policies, "threshold", "pressure"); err != nil {
		return err
	}
	if r.eng, err = dockertest.StartWithImages(ctx, root); err != nil {
		return err
	}
	defer r.eng.Stop()
	fmt.Printf("reactbench, %s: kwardend, a private dockerd, the built-in policies as plugins\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if err := r.limit(ctx, trials); err != nil {
		return fmt.Errorf("limit crossed: %w", err)
	}
	if err := r.pressure(ctx, trials); err != nil {
		return fmt.Errorf("memory pressure: %w", err)
	}
	return nil
}

// start runs kwardend at interval with a policy and its configuration,
// and returns a client of it and a function that stops it.
func (r *rig) start(ctx context.Context, name string, interval time.Duration, policy, config string) (*client.Client, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := filepath.Join(r.tmp, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, nil, err
	}
	cfg := fmt.Sprintf(`{"listen": %q, "interval": %q, "sources": "ebpf", "db": %q, "docker_host": %q,
		"policy": {"dir": %q, "use": %q, "config": %s, "stop_timeout": "1s"}}`,
		addr, interval.String(), filepath.Join(dir, "h.db"), r.eng.Host, r.policies, policy, config)
	if err := os.WriteFile(filepath.Join(dir, "kwardend.json"), []byte(cfg), 0o600); err != nil {
		return nil, nil, err
	}
	log, err := os.Create(filepath.Join(dir, "kwardend.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(r.kwardend, "-config", filepath.Join(dir, "kwardend.json"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		log.Close()
	}
	c, err := client.New(client.Options{Addr: addr, Timeout: 10 * time.Second})
	if err != nil {
		stop()
		return nil, nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if h, err := c.Health(ctx); err == nil && h.Tick > 1 {
			return c, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			b, _ := os.ReadFile(filepath.Join(dir, "kwardend.log"))
			return nil, nil, fmt.Errorf("kwardend not ticking after 30 s:\n%s", b)
		}
	}
}

// afterTick waits for the next tick and returns its time.
func afterTick(ctx context.Context, c *client.Client, limit time.Duration) (time.Time, error) {
	h, err := c.Health(ctx)
	if err != nil {
		return time.Time{}, err
	}
	first := h.Tick
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if h, err = c.Health(ctx); err == nil && h.Tick > first {
			return h.Time, nil
		}
	}
	return time.Time{}, errors.New("no tick")
}

// ended waits for a container's process to end and returns when.
func (r *rig) ended(ctx context.Context, name string, limit time.Duration) (time.Time, error) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		out, err := r.eng.Docker(ctx, "inspect", "-f", "{{json .State}}", name)
		if err != nil {
			return time.Time{}, err
		}
		var st struct {
			Running    bool
			FinishedAt time.Time
		}
		if err := json.Unmarshal(out, &st); err != nil {
			return time.Time{}, err
		}
		if !st.Running {
			return st.FinishedAt, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s still runs after %v", name, limit)
}

// decision is the audit event of the done decision on the named container.
func decision(ctx context.Context, c *client.Client, name string) (apiv1.Event, error) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		evs, err := c.Events(ctx, client.EventsQuery{From: "now-10m", Kind: "policy.decision"})
		if err != nil {
			return apiv1.Event{}, err
		}
		for _, e := range evs.Events {
			if e.Data["name"] == name && e.Data["outcome"] == "done" {
				return e, nil
			}
		}
	}
	return apiv1.Event{}, fmt.Errorf("no done decision on %s", name)
}

// limit: a 1 s tick, threshold at 50 % CPU with no grace; a container
// that busies a core from its start. The crossing is the first tick
// whose point has it above the limit (its series in the history); the
// stop is Docker's end of its process.
func (r *rig) limit(ctx context.Context, trials int) error {
	const interval = time.Second
	c, stop, err := r.start(ctx, "limit", interval, "threshold", `{"cpu_percent": 50, "grace": "0s", "action": "stop"}`)
	if err != nil {
		return err
	}
	defer stop()
	var ticks []float64
	fmt.Println("A limit crossed (threshold: CPU > 50 %, no grace, stop; 1 s tick):")
	fmt.Println()
	fmt.Println("| trial | crossed (tick) | stopped | in ticks | decide | act |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: |")
	for i := range trials {
		name := fmt.Sprintf("kwrb-cpu-%d", i)
		if _, err := afterTick(ctx, c, 3*interval); err != nil {
			return err
		}
		if _, err := r.eng.Docker(ctx, "run", "-d", "--network", "none", "--name", name, "--label", "kwarden.kind=cpu",
			"kwarden/load:cpu", "-workers", "1"); err != nil {
			return err
		}
		end, err := r.ended(ctx, name, 30*time.Second)
		if err != nil {
			return err
		}
		ev, err := decision(ctx, c, name)
		if err != nil {
			return err
		}
		series, err := c.Series(ctx, name, client.Range{From: "now-5m"})
		if err != nil {
			return err
		}
		var crossed time.Time
		for _, p := range series.Points {
			if p.CPUPercent > 50 {
				crossed = p.Time
				break
			}
		}
		if crossed.IsZero() {
			return fmt.Errorf("%s: no point above 50 %% in %d points", name, len(series.Points))
		}
		n := float64(end.Sub(crossed)) / float64(interval)
		ticks = append(ticks, n)
		fmt.Printf("| %d | %s | +%s | %.2f | %s ms | %s ms |\n", i+1, crossed.Format("15:04:05.000"),
			end.Sub(crossed).Round(time.Millisecond), n, ev.Data["decide_ms"], ev.Data["act_ms"])
		if _, err := r.eng.Docker(ctx, "rm", "-f", name); err != nil {
			return err
		}
	}
	slices.Sort(ticks)
	fmt.Printf("\nmedian %.2f ticks, worst %.2f (goal: within one tick)\n\n", ticks[len(ticks)/2], ticks[len(ticks)-1])
	return nil
}

// pressure: the course's 10 s tick, pressure on some_recent; a
// container that thrashes its page cache, started just after a tick.
func (r *rig) pressure(ctx context.Context, trials int) error {
	const interval = 10 * time.Second
	c, stop, err := r.start(ctx, "pressure", interval, "pressure",
		`{"figure": "some_recent", "threshold_percent": 10, "cooldown": "0s"}`)
	if err != nil {
		return err
	}
	defer stop()
	trig, err := psi.NewTrigger("/proc/pressure/memory", psi.KindSome, 200*time.Millisecond, 2*time.Second)
	if err != nil {
		return err
	}
	defer trig.Close()
	var delays []time.Duration
	fmt.Println("Memory pressure (pressure: some_recent > 10 %, kill; PSI trigger 200 ms in 2 s; 10 s tick):")
	fmt.Println()
	fmt.Println("| trial | trigger after start | killed after trigger | before the next tick | round's trigger |")
	fmt.Println("| ---: | ---: | ---: | ---: | --- |")
	for i := range trials {
		name := fmt.Sprintf("kwrb-thrash-%d", i)
		time.Sleep(3 * time.Second) // the last trial's stall out of the window
		tick, err := afterTick(ctx, c, 2*interval)
		if err != nil {
			return err
		}
		started := time.Now()
		if _, err := r.eng.Docker(ctx, "run", "-d", "--network", "none", "--name", name, "--memory", "32m",
			"--memory-swap", "32m", "--label", "kwarden.kind=disk", "kwarden/load:disk", "-bytes", "96MiB", "-reread"); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		fired := make(chan time.Time, 1)
		go func() {
			if trig.Wait(wctx) == nil {
				fired <- time.Now()
			}
			close(fired)
		}()
		end, err := r.ended(ctx, name, 30*time.Second)
		if err != nil {
			cancel()
			return err
		}
		at, ok := <-fired
		cancel()
		if !ok {
			return fmt.Errorf("%s: this process's PSI trigger did not fire", name)
		}
		ev, err := decision(ctx, c, name)
		if err != nil {
			return err
		}
		d := end.Sub(at)
		delays = append(delays, d)
		fmt.Printf("| %d | %s | %s | %s | %s |\n", i+1, at.Sub(started).Round(time.Millisecond), d.Round(time.Millisecond),
			tick.Add(interval).Sub(end).Round(100*time.Millisecond), ev.Data["trigger"])
		if _, err := r.eng.Docker(ctx, "rm", "-f", name); err != nil {
			return err
		}
	}
	slices.Sort(delays)
	fmt.Printf("\nPSI trigger to killed: median %s, worst %s\n", delays[len(delays)/2].Round(time.Millisecond),
		delays[len(delays)-1].Round(time.Millisecond))
	return nil
}
