package dockertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// The whole path the agent's tests rely on: a private dockerd, the
// workload images built FROM scratch offline, containers with no
// network that run, carry their kind and stop on SIGTERM.
func TestDaemonRunsLoadImages(t *testing.T) {
	testenv.RequireNoErr(t, Available(), "a Docker engine")
	ctx := context.Background()
	d, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Stop(); err != nil {
			t.Errorf("stop dockerd: %v", err)
		}
		if _, err := os.Stat(d.Dir); !os.IsNotExist(err) {
			t.Errorf("daemon directory left behind: %v", err)
		}
	}()
	root, _ := filepath.Abs("../..")
	if err := d.BuildLoadImages(ctx, root); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"cpu", "ram", "io", "disk", "low"} {
		out, err := d.Docker(ctx, "image", "inspect", "--format", `{{index .Config.Labels "kwarden.kind"}} {{len .RootFS.Layers}}`, "kwarden/load:"+kind)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != kind+" 1" {
			t.Errorf("kwarden/load:%s: label and layers %q, want %q", kind, got, kind+" 1")
		}
	}

	if _, err := d.Docker(ctx, "run", "--rm", "--network", "none", "kwarden/load:low", "-duration", "300ms"); err != nil {
		t.Fatalf("run low: %v", err)
	}
	if err := d.RunLow(ctx, "kw-fleet", 1, 3); err != nil {
		t.Fatal(err)
	}
	fleet, err := d.Docker(ctx, "ps", "--filter", "label=kwarden.kind=low", "--format", "{{.Names}}")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(fleet)); len(got) != 2 || !strings.Contains(string(fleet), "kw-fleet-001") || !strings.Contains(string(fleet), "kw-fleet-002") {
		t.Errorf("RunLow(1, 3) started %q, want kw-fleet-001 and kw-fleet-002", got)
	}

	id, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", "kw-cpu-test", "--label", "kwarden.kind=cpu", "kwarden/load:cpu")
	if err != nil {
		t.Fatal(err)
	}
	cid := strings.TrimSpace(string(id))
	pidOut, err := d.Docker(ctx, "inspect", "--format", "{{.State.Pid}}", cid)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(pidOut))
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%s/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cg), cid) {
		t.Errorf("container %s: its process %s is not in a cgroup named after it:\n%s", cid, pid, cg)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := d.Docker(ctx, "stop", "-t", "30", cid); err != nil {
		t.Fatal(err)
	}
	// 0 means kwarden-load ended on SIGTERM; 137 would be docker's SIGKILL.
	code, err := d.Docker(ctx, "inspect", "--format", "{{.State.ExitCode}}", cid)
	if err != nil || strings.TrimSpace(string(code)) != "0" {
		t.Errorf("exit code after docker stop: %q, %v", code, err)
	}
}
