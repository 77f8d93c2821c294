package containers

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/bpf"
	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	dockertest.StopShared()
	os.Exit(code)
}

func daemon(t *testing.T) *dockertest.Daemon {
	t.Helper()
	root, _ := filepath.Abs("../..")
	return dockertest.ForTest(t, root)
}

func startWatcher(t *testing.T, d *dockertest.Daemon) *Watcher {
	t.Helper()
	return startWatcherWith(t, d, Options{RetryMax: time.Second})
}

// startWatcherWith runs a watcher with opts on d until the test ends.
func startWatcherWith(t *testing.T, d *dockertest.Daemon, opts Options) *Watcher {
	t.Helper()
	opts.Host, opts.Logger = d.Host, slog.New(slog.NewTextHandler(testWriter{t}, nil))
	w, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		w.Close()
	})
	waitFor(t, "the watcher to connect", w, func() bool { return w.Status().Connected })
	return w
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// waitFor waits up to 30 s for cond, waking on every change of the view.
func waitFor(t *testing.T, what string, w *Watcher, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		changed := w.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s; status %+v", what, w.Status())
		}
	}
}

func find(w *Watcher, name string) (Container, bool) {
	for _, c := range w.Containers() {
		if c.Name == name {
			return c, true
		}
	}
	return Container{}, false
}

// A container started after the watcher connected appears through the
// event stream with its kind, process and cgroups; the cgroup id is the
// one the eBPF view reports for its process; once removed it stays in
// the view, marked removed.
func TestWatcherFollowsContainers(t *testing.T) {
	d := daemon(t)
	w := startWatcher(t, d)
	ctx := context.Background()
	if _, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", "kw-follow", "--label", "kwarden.kind=cpu", "kwarden/load:cpu"); err != nil {
		t.Fatal(err)
	}
	var c Container
	waitFor(t, "the container to run", w, func() bool {
		var ok bool
		c, ok = find(w, "kw-follow")
		return ok && c.Running && c.PID > 0
	})
	t.Logf("%s: kind %s, image %s, pid %d, cgroups %+v", c.Name, c.Kind, c.Image, c.PID, c.Cgroups)
	if c.Kind != "cpu" || c.Image != "kwarden/load:cpu" || c.Created.IsZero() || c.Started.IsZero() {
		t.Errorf("container %+v", c)
	}
	if c.Cgroups.MemID == 0 || !strings.Contains(c.Cgroups.MemPath, c.ID) {
		t.Errorf("memory cgroup %d at %q, want a directory named after %s", c.Cgroups.MemID, c.Cgroups.MemPath, c.ID)
	}

	// The eBPF view puts the container's process in the same cgroup.
	col, err := bpf.Open(bpf.Options{NoExits: true})
	testenv.RequireNoErr(t, err, "the eBPF view")
	defer col.Close()
	ps, err := col.Processes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ps.Processes {
		if int(p.PID) == c.PID {
			found = true
			if p.MemCgroupID != c.Cgroups.MemID || (c.Cgroups.V2ID != 0 && p.CgroupID != c.Cgroups.V2ID) {
				t.Errorf("eBPF: memcg %d cgroup %d; watcher: %+v", p.MemCgroupID, p.CgroupID, c.Cgroups)
			}
		}
	}
	if !found {
		t.Errorf("pid %d not in the eBPF view", c.PID)
	}

	if _, err := d.Docker(ctx, "rm", "-f", "kw-follow"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removal", w, func() bool {
		c, _ = find(w, "kw-follow")
		return !c.Removed.IsZero()
	})
	if c.State != "removed" || c.Running || c.Cgroups.MemID == 0 {
		t.Errorf("removed container %+v: want state removed and the cgroup ids kept", c)
	}
}

// dockerd stops and comes back: the watcher reports the outage, keeps the
// last view, reconnects on its own and sees what changed meanwhile.
func TestWatcherSurvivesDockerdRestart(t *testing.T) {
	d := daemon(t)
	w := startWatcher(t, d)
	ctx := context.Background()
	if _, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", "kw-before", "kwarden/load:low"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "kw-before", w, func() bool { c, ok := find(w, "kw-before"); return ok && c.Running })
	syncs := w.Status().Syncs

	d.Down()
	waitFor(t, "the outage to be reported", w, func() bool { s := w.Status(); return !s.Connected && s.Outages == 1 })
	st := w.Status()
	t.Logf("during the outage: %+v", st)
	if st.LastError == "" {
		t.Error("outage without an error message")
	}
	if _, ok := find(w, "kw-before"); !ok {
		t.Error("the view was dropped during the outage")
	}

	if err := d.Up(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reconnection", w, func() bool { s := w.Status(); return s.Connected && s.Syncs > syncs })
	// dockerd stopped kw-before when it went down; the resync shows it.
	waitFor(t, "kw-before stopped", w, func() bool { c, _ := find(w, "kw-before"); return !c.Running })
	if _, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", "kw-after", "kwarden/load:low"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "kw-after", w, func() bool { c, ok := find(w, "kw-after"); return ok && c.Running })
	t.Logf("after: %+v", w.Status())
}

// A container whose cgroups could not be read (the daemon out of file
// descriptors, say) is resolved again until it works, instead of
// keeping zero figures for good. The failure here: the process root is
// a file, so reading <root>/<pid>/cgroup fails with ENOTDIR, not with
// "no such process"; then the root becomes the real /proc.
func TestWatcherRetriesUnresolvedCgroups(t *testing.T) {
	d := daemon(t)
	proc := filepath.Join(t.TempDir(), "proc")
	if err := os.WriteFile(proc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWatcherWith(t, d, Options{RetryMax: 200 * time.Millisecond, Resolver: Resolver{ProcRoot: proc}})
	ctx := context.Background()
	if _, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", "kw-unresolved", "kwarden/load:low"); err != nil {
		t.Fatal(err)
	}
	defer d.Docker(context.Background(), "rm", "-f", "kw-unresolved")
	waitFor(t, "the container to run", w, func() bool { c, ok := find(w, "kw-unresolved"); return ok && c.Running })
	if c, _ := find(w, "kw-unresolved"); c.Cgroups != (Cgroups{}) {
		t.Fatalf("cgroups resolved through a broken /proc: %+v", c.Cgroups)
	}
	if err := os.Remove(proc); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc", proc); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cgroups to be resolved", w, func() bool { c, _ := find(w, "kw-unresolved"); return c.Cgroups.MemID != 0 })
}
