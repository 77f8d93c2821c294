package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/kwarden/kwarden/agent/policy/proto"
)

// Policy is what a plugin implements: one decision round. Decide is
// never called concurrently; ctx ends at the host's deadline.
type Policy interface {
	Decide(ctx context.Context, s *Snapshot) ([]Decision, error)
}

// Validator is implemented by a policy whose configuration has rules
// beyond its JSON shape; Serve refuses a configuration Validate rejects.
type Validator interface {
	Validate() error
}

// Configurer is implemented by a policy that reads its configuration
// itself; on an error it must keep the configuration it had. Without it, Serve decodes the JSON into a copy of the value it
// was given (its defaults), which must then be a pointer to a struct.
type Configurer interface {
	Configure(config []byte) error
}

// Describer gives a sentence that says what the policy does.
type Describer interface {
	Description() string
}

// Serve runs p as a plugin until the host ends it. It never returns when
// started by a host; run by hand, it says it is a plugin and exits 1.
func Serve(name, version string, p Policy) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{ProtocolVersion: {PluginName: &grpcPlugin{srv: newServer(name, version, p)}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, windows...)...)
		},
		// The host reads the plugin's stderr as hclog lines into its log.
		Logger: hclog.New(&hclog.LoggerOptions{Name: name, Output: os.Stderr, JSONFormat: true, Level: hclog.Info}),
	})
}

// windows open gRPC's flow-control windows past a round: a snapshot of
// 500 containers is about 60 KiB, its answer as much, and the default
// 64 KiB window made the larger rounds wait for window updates.
var windows = []grpc.ServerOption{grpc.InitialWindowSize(1 << 20), grpc.InitialConnWindowSize(1 << 20)}

// server is the plugin's side: it holds the policy and runs one call
// at a time, so a policy needs no locks of its own.
type server struct {
	pb.UnimplementedPolicyServer
	info     Info
	mu       sync.Mutex
	defaults Policy
	p        Policy
}

func newServer(name, version string, p Policy) *server {
	s := &server{info: Info{Name: name, Version: version}, defaults: p, p: p}
	if d, ok := p.(Describer); ok {
		s.info.Description = d.Description()
	}
	return s
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return &pb.DescribeResponse{Name: s.info.Name, Version: s.info.Version, Description: s.info.Description}, nil
}

func (s *server) Configure(_ context.Context, r *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := DecodeConfig(s.defaults, r.GetConfigJson())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	s.p = p
	return &pb.ConfigureResponse{}, nil
}

func (s *server) Decide(ctx context.Context, r *pb.DecideRequest) (*pb.DecideResponse, error) {
	if r.GetSnapshot() == nil {
		return nil, status.Error(codes.InvalidArgument, "no snapshot")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, err := s.p.Decide(ctx, snapshotFromProto(r.GetSnapshot()))
	if err != nil {
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &pb.DecideResponse{Decisions: decisionsToProto(ds)}, nil
}

// DecodeConfig gives the policy a configuration makes of defaults, as
// Serve does on the host's Configure: the defaults when config is blank,
// else the JSON decoded over a copy of them, unknown fields refused,
// then Validate if the policy has it. defaults is never changed, except
// by a Configurer, which configures itself in place. It is exported so
// that a policy's tests and shipped configuration files go through the
// very decoding the plugin will apply.
func DecodeConfig(defaults Policy, config []byte) (Policy, error) {
	if c, ok := defaults.(Configurer); ok {
		if err := c.Configure(config); err != nil {
			return nil, err
		}
		return defaults, validate(defaults)
	}
	if len(bytes.TrimSpace(config)) == 0 {
		return defaults, validate(defaults)
	}
	v := reflect.ValueOf(defaults)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("this policy takes no configuration")
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cp.Interface()); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("configuration: more than one JSON value")
	}
	p := cp.Interface().(Policy)
	return p, validate(p)
}

func validate(p Policy) error {
	if v, ok := p.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	}
	return nil
}
