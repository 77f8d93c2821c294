package main

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// The plugin binary links the agent's client and wire types and nothing
// else of kwarden: no eBPF, no database, no Docker client, none of the
// daemon. A Grafana host runs it beside no agent at all.
func TestPluginLinksOnlyTheClient(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	testenv.RequireNoErr(t, err, "the go command")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goCmd, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	forbidden := []string{"github.com/cilium/ebpf", "go.etcd.io/bbolt", "github.com/docker/docker", "github.com/moby/"}
	allowed := []string{"github.com/kwarden/kwarden/agent/client", "github.com/kwarden/kwarden/agent/apiv1"}
	var kwarden []string
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("the plugin links %s", d)
			}
		}
		if strings.HasPrefix(d, "github.com/kwarden/kwarden/") && !strings.HasPrefix(d, "github.com/kwarden/kwarden/grafana-plugin/") {
			kwarden = append(kwarden, d)
			if !slices.Contains(allowed, d) {
				t.Errorf("the plugin links %s: only agent/client and agent/apiv1 of the agent", d)
			}
		}
	}
	if len(kwarden) != 2 {
		t.Errorf("the plugin links %v of kwarden, want agent/client and agent/apiv1", kwarden)
	}
}
