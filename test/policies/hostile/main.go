// Command hostile is a kill-policy plugin that misbehaves on purpose, for
// the policy host's tests. One source, built once per misbehaviour with
// -ldflags "-X main.mode=<mode>", so that each is a real binary:
//
//	panic         panics in its first Decide (the process dies)
//	hang          never answers Decide
//	garbage       answers decisions with unknown actions and empty ids
//	protected     names every container, protected ones first
//	unknown       names containers that do not exist
//	flood         answers 10,000 decisions
//	exit          exits right after the handshake
//	wrong-version speaks protocol version 99 only
//	slow-start    sleeps 30 s before the handshake
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/kwarden/kwarden/agent/policy"
)

var mode = "panic"

type hostile struct{}

func (hostile) Decide(ctx context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
	switch mode {
	case "panic":
		panic("hostile policy: panic in Decide")
	case "hang":
		select {} // ignores ctx on purpose
	case "garbage":
		return []policy.Decision{
			{ContainerID: "", Action: policy.Kill, Reason: "no id"},
			{ContainerID: firstID(s), Action: policy.Action(42), Reason: "no such action"},
			{ContainerID: firstID(s), Action: policy.ActionUnspecified, Reason: "no action"},
		}, nil
	case "protected":
		var out []policy.Decision
		for _, c := range s.Containers {
			if c.Protected {
				out = append(out, policy.Decision{ContainerID: c.ID, Action: policy.Kill, Reason: "protected, named on purpose"})
			}
		}
		return out, nil
	case "unknown":
		return []policy.Decision{{ContainerID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Action: policy.Kill, Reason: "no such container"}}, nil
	case "flood":
		out := make([]policy.Decision, 10000)
		for i := range out {
			out[i] = policy.Decision{ContainerID: firstID(s), Action: policy.Stop, Reason: fmt.Sprintf("flood %d", i)}
		}
		return out, nil
	}
	return nil, nil
}

func firstID(s *policy.Snapshot) string {
	if len(s.Containers) == 0 {
		return "none"
	}
	return s.Containers[0].ID
}

func main() {
	switch mode {
	case "exit":
		go func() {
			time.Sleep(200 * time.Millisecond)
			os.Exit(3)
		}()
	case "wrong-version":
		hs := policy.Handshake
		hs.ProtocolVersion = 99
		plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, VersionedPlugins: map[int]plugin.PluginSet{99: {}}, GRPCServer: plugin.DefaultGRPCServer})
		return
	case "slow-start":
		time.Sleep(30 * time.Second)
	}
	policy.Serve("hostile-"+mode, "0.0.1", hostile{})
}
