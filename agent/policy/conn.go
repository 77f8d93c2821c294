package policy

import (
	"context"
	"fmt"

	pb "github.com/kwarden/kwarden/agent/policy/proto"
)

// Conn is the host's side of a running policy. Every call carries the
// caller's context: its deadline reaches the plugin as gRPC's.
type Conn struct {
	c pb.PolicyClient
}

// Describe asks the policy its name and version; the host's ping.
func (c *Conn) Describe(ctx context.Context) (Info, error) {
	r, err := c.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Info{}, err
	}
	return Info{Name: r.GetName(), Version: r.GetVersion(), Description: r.GetDescription()}, nil
}

// Configure hands the policy its configuration (JSON; nil for its
// defaults). An error means the policy refused it and kept its own.
func (c *Conn) Configure(ctx context.Context, config []byte) error {
	_, err := c.c.Configure(ctx, &pb.ConfigureRequest{ConfigJson: config})
	return err
}

// Decide runs one round. The decisions are as the plugin sent them:
// the host checks them (a plugin may lie).
func (c *Conn) Decide(ctx context.Context, s *Snapshot) ([]Decision, error) {
	r, err := c.c.Decide(ctx, &pb.DecideRequest{Snapshot: snapshotToProto(s)})
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("policy answered nothing")
	}
	return decisionsFromProto(r.GetDecisions()), nil
}
