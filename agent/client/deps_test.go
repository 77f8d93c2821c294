package client

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// deps lists what pkg links, as the go command says.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	testenv.RequireNoErr(t, err, "the go command")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goCmd, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// A client of the agent links none of it: kwardenctl (and this package,
// the wire types, and the graphs kwardenctl report draws) link no eBPF,
// no database, no Docker client, and no package of the daemon's. The wire types link the standard library
// alone.
func TestClientsLinkNoAgent(t *testing.T) {
	forbidden := []string{"github.com/cilium/ebpf", "go.etcd.io/bbolt", "github.com/docker/docker",
		"github.com/kwarden/kwarden/agent/daemon", "github.com/kwarden/kwarden/agent/store",
		"github.com/kwarden/kwarden/agent/api", "github.com/kwarden/kwarden/bpf"}
	// The policy protocol and SDK, and a policy built with them, are
	// held to the same rule: a plugin links none of the agent.
	for _, pkg := range []string{"../cmd/kwardenctl", ".", "../apiv1", "../report", "../policy", "../../examples/policy-keep-oldest"} {
		for _, d := range deps(t, pkg) {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s links %s", pkg, d)
				}
			}
		}
	}
	for _, d := range deps(t, "../apiv1") {
		if first, _, _ := strings.Cut(d, "/"); strings.Contains(first, ".") && d != "github.com/kwarden/kwarden/agent/apiv1" {
			t.Errorf("the wire types link %s, beyond the standard library", d)
		}
	}
}
