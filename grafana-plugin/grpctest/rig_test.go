package grpctest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/dockertest"
	"github.com/kwarden/kwarden/test/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	dockertest.StopShared()
	os.Exit(code)
}

// lab is what the tests share: the plugin binary, two agents each
// watching its own Docker engine with a round of the course's
// generator running (one container removed on each), and the plugin
// process launched as Grafana would.
type lab struct {
	pluginBin string
	bins      agentBins
	a, b      *kwardend
	g         *grafana
	ds        datasource // both agents, the right token
	started   time.Time
	// until, when set, ends every window: a test that compares the
	// plugin's answers with the API's over one range sets it, or a
	// second passing between its calls would give each a different
	// range.
	until time.Time
}

var shared struct {
	once sync.Once
	lab  *lab
	err  string
}

// setUp builds and starts the lab once per test binary.
func setUp(t *testing.T) *lab {
	t.Helper()
	testenv.RequireNoErr(t, dockertest.Available(), "a Docker engine (root, docker.io)")
	shared.once.Do(func() { shared.lab = newLab(t) })
	if shared.lab == nil {
		t.Fatal("the lab did not start (see the first test's log)")
	}
	return shared.lab
}

func newLab(t *testing.T) *lab {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "kwgrpc-")
	if err != nil {
		t.Fatal(err)
	}
	// The lab outlives the first test: its directory and processes go
	// at the end of the test binary (TestMain, and the engines' Stop).
	l := &lab{started: time.Now()}
	if l.pluginBin, err = buildPlugin(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if l.bins, err = buildAgent(ctx, dir); err != nil {
		t.Fatal(err)
	}
	engA := dockertest.ForTest(t, repoRoot)
	engB, err := dockertest.StartWithImages(ctx, repoRoot)
	if err != nil {
		t.Fatalf("a second Docker engine: %v", err)
	}
	cleanups = append(cleanups, func() { engB.Stop() }, func() { removeSpawned(engA) }, func() { os.RemoveAll(dir) })
	tb := &labTB{T: t, dir: dir}
	l.a = startAgent(tb, "lab-a", l.bins, engA)
	l.b = startAgent(tb, "lab-b", l.bins, engB)
	for _, k := range []*kwardend{l.a, l.b} {
		names := k.spawn(t)
		t.Logf("%s: the generator started %s", k.name, strings.Join(names, ", "))
	}
	// A removed container on each, so that the queries that include
	// removed ones have one to include.
	time.Sleep(4 * time.Second)
	for _, k := range []*kwardend{l.a, l.b} {
		if _, err := k.engine.Docker(ctx, "rm", "-f", firstSpawned(t, k)); err != nil {
			t.Fatal(err)
		}
	}
	// A process hidden from /proc (a bind mount over its directory), so
	// that the third view has one to report on each agent.
	hide(t, ctx)
	for _, k := range []*kwardend{l.a, l.b} {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if ans, err := k.c.CrossCheck(ctx); err == nil && ans.ProcView != nil && len(ans.ProcView.Hidden) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no hidden process reported", k.name)
			}
		}
	}
	time.Sleep(6 * time.Second) // history after the removal, and policy rounds
	l.g = launch(tb, l.pluginBin)
	l.ds = datasource{id: 1, updated: time.Now(), token: testToken,
		agents: []agentSetting{{Name: l.a.name, URL: l.a.url()}, {Name: l.b.name, URL: l.b.url()}}}
	return l
}

// cleanups run when the test binary ends, last first: the lab's
// agents, engines and plugin serve every test.
var cleanups []func()

// labTB is the first test's T, with Cleanup deferred to the end of the
// test binary and temporary directories in the lab's.
type labTB struct {
	*testing.T
	dir string
}

func (l *labTB) Cleanup(f func()) { cleanups = append(cleanups, f) }

func (l *labTB) TempDir() string {
	d, err := os.MkdirTemp(l.dir, "")
	if err != nil {
		l.Fatal(err)
	}
	return d
}

// hide starts a sleep and bind-mounts an empty directory over its /proc
// directory, for the rest of the test binary.
func hide(t *testing.T, ctx context.Context) {
	t.Helper()
	cmd := exec.Command("sleep", "3600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	empty, err := os.MkdirTemp("", "kwgrpc-empty-")
	if err != nil {
		t.Fatal(err)
	}
	target := "/proc/" + strconv.Itoa(cmd.Process.Pid)
	if err := syscall.Mount(empty, target, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind mount over %s: %v", target, err)
	}
	cleanups = append(cleanups, func() {
		syscall.Unmount(target, syscall.MNT_DETACH)
		cmd.Process.Kill()
		cmd.Wait()
		os.Remove(empty)
	})
}

func firstSpawned(t testing.TB, k *kwardend) string {
	t.Helper()
	out, err := k.engine.Docker(context.Background(), "ps", "-q", "--filter", "label=kwarden.spawned=true")
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		t.Fatalf("%s: no spawned container runs", k.name)
	}
	return ids[len(ids)-1]
}

func removeSpawned(eng *dockertest.Daemon) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := eng.Docker(ctx, "ps", "-aq", "--filter", "label=kwarden.spawned=true")
	if err == nil && len(strings.Fields(string(out))) > 0 {
		_, _ = eng.Docker(ctx, append([]string{"rm", "-f"}, strings.Fields(string(out))...)...)
	}
}
