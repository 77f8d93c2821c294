package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	os.Exit(code)
}

// Real containers, the real eBPF view: a one-worker cpu container reads
// 100 % ± 15 % of a core, a 128 MiB ram container 128 MiB ± 10 %, a low
// one is classed low.
func TestContainersFromEBPF(t *testing.T) {
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	d := dockertest.ForTest(t, root)
	col, err := bpf.Open(bpf.Options{ExitPoll: 20 * time.Millisecond})
	testenv.RequireNoErr(t, err, "the eBPF view")
	defer col.Close()

	runs := map[string][]string{
		"kw-cpu": {"--label", "kwarden.kind=cpu", "kwarden/load:cpu", "-workers", "1"},
		"kw-ram": {"--label", "kwarden.kind=ram", "kwarden/load:ram", "-bytes", "128MiB"},
		"kw-low": {"--label", "kwarden.kind=low", "kwarden/load:low"},
	}
	for name, args := range runs {
		if _, err := d.Docker(ctx, append([]string{"run", "-d", "--network", "none", "--name", name}, args...)...); err != nil {
			t.Fatal(err)
		}
		defer d.Docker(ctx, "rm", "-f", name)
	}
	w, err := containers.New(containers.Options{Host: d.Host})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.Run(wctx)
	deadline := time.Now().Add(30 * time.Second)
	var cs []containers.Container
	for {
		cs = w.Containers()
		ready := 0
		for _, c := range cs {
			if runs[c.Name] != nil && c.Running && c.Cgroups.MemID != 0 {
				ready++
			}
		}
		if ready == len(runs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("containers not ready: %+v", cs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The ram container touches its memory at start: let it settle.
	time.Sleep(time.Second)

	// Exits go to the sampler as the daemon's loop does it.
	s := &sample.Sampler{Thresholds: sample.Thresholds{CPUPercent: 20, RAMPercent: 20}}
	exits := make(chan sample.Exit, 1024)
	go func() {
		for {
			e, err := col.ReadExit(wctx)
			if err != nil {
				if wctx.Err() != nil || errors.Is(err, bpf.ErrClosed) {
					return
				}
				continue
			}
			exits <- sample.Exit{Key: e.Process.Key(), CgroupID: e.Process.CgroupID, MemcgID: e.Process.MemCgroupID, CPUNs: e.Process.CPUNs, ExitNs: e.ExitNs}
		}
	}()
	drain := func() {
		for {
			select {
			case e := <-exits:
				s.Exited(e)
			default:
				return
			}
		}
	}
	var ps snapshot.Processes
	var figs []sample.Figures
	cg := NewCgroups("")
	defer cg.Close()
	for range 2 {
		if err := col.ProcessesInto(ctx, &ps); err != nil {
			t.Fatal(err)
		}
		drain()
		figs = s.Sample(&ps, cs, 24<<30)
		if err := cg.Fill(figs); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
	}
	for _, f := range figs {
		if runs[f.Name] == nil {
			continue
		}
		t.Logf("%s: %d processes, CPU %.1f %%, RSS %.1f MiB, cgroup usage %.1f MiB, working set %.1f MiB, class %s",
			f.Name, f.Processes, f.CPUPercent, float64(f.RSSBytes)/(1<<20), float64(f.MemUsageBytes)/(1<<20), float64(f.WorkingSetBytes)/(1<<20), f.Class)
		switch f.Name {
		case "kw-cpu":
			if f.CPUPercent < 85 || f.CPUPercent > 115 || f.Class != sample.High {
				t.Errorf("cpu container: %.1f %% (class %s), want 100 ± 15 %%, high", f.CPUPercent, f.Class)
			}
		case "kw-ram":
			const want = 128 << 20
			if d := float64(f.RSSBytes) - want; d > 0.1*want || -d > 0.1*want {
				t.Errorf("ram container: RSS %d, want 128 MiB ± 10 %%", f.RSSBytes)
			}
			if f.WorkingSetBytes < want*9/10 {
				t.Errorf("ram container: working set %d, want ≥ 90 %% of 128 MiB", f.WorkingSetBytes)
			}
		case "kw-low":
			if f.Class != sample.Low || f.CPUPercent > 5 {
				t.Errorf("low container: %.1f %%, class %s", f.CPUPercent, f.Class)
			}
		}
		if f.Processes != 1 {
			t.Errorf("%s: %d processes, want 1", f.Name, f.Processes)
		}
	}
}
