package policy

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/kwarden/kwarden/agent/policy/proto"
)

// ProtocolVersion is the protocol this build speaks: the proto package
// kwarden.policy.v1. A host offers every version it speaks and go-plugin
// picks the highest the plugin has.
const ProtocolVersion = 1

// PluginName is the one plugin a policy binary serves.
const PluginName = "policy"

// Handshake is what host and plugin must agree on before anything else.
// The cookie is not security (the host's checksum is): it makes a policy
// binary run by hand say that it is a plugin instead of hanging.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "KWARDEN_POLICY_PLUGIN",
	MagicCookieValue: "b3c1a0e4-policy",
}

// HostPlugins are the versions a host speaks, for ClientConfig's
// VersionedPlugins.
func HostPlugins() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginName: &grpcPlugin{}}}
}

// Info names a running policy, as its Describe answers.
type Info struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// grpcPlugin is go-plugin's side of the glue: the plugin registers its
// server, the host gets a *Conn.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	srv *server
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterPolicyServer(s, p.srv)
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Conn{c: pb.NewPolicyClient(c)}, nil
}
