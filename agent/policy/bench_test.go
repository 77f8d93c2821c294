package policy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "github.com/kwarden/kwarden/agent/policy/proto"
)

func benchSnapshot(n int) *Snapshot {
	s := &Snapshot{Time: time.Now(), Trigger: TriggerTick, Interval: time.Second}
	for i := range n {
		s.Containers = append(s.Containers, Container{ID: fmt.Sprintf("%064x", i), Name: fmt.Sprintf("kw-%d", i), Kind: "low",
			Created: time.Now(), RSSBytes: uint64(i)})
	}
	return s
}

// BenchmarkWire is one round's snapshot through the wire and back, as
// host and plugin do it, at 500 containers.
func BenchmarkWire(b *testing.B) {
	s := benchSnapshot(500)
	b.ReportAllocs()
	for b.Loop() {
		m, err := proto.Marshal(&pb.DecideRequest{Snapshot: snapshotToProto(s)})
		if err != nil {
			b.Fatal(err)
		}
		var r pb.DecideRequest
		if err := proto.Unmarshal(m, &r); err != nil {
			b.Fatal(err)
		}
		_ = snapshotFromProto(r.GetSnapshot())
	}
}

// BenchmarkServerRound is the plugin's side of a round at 500
// containers: decode the request, decide (497 decisions, as the bench's
// keep-oldest does), encode the answer.
func BenchmarkServerRound(b *testing.B) {
	s := benchSnapshot(500)
	req, _ := proto.Marshal(&pb.DecideRequest{Snapshot: snapshotToProto(s)})
	srv := newServer("bench", "1", removeAll{})
	b.ReportAllocs()
	for b.Loop() {
		var r pb.DecideRequest
		if err := proto.Unmarshal(req, &r); err != nil {
			b.Fatal(err)
		}
		ans, err := srv.Decide(context.Background(), &r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := proto.Marshal(ans); err != nil {
			b.Fatal(err)
		}
	}
}

type removeAll struct{}

func (removeAll) Decide(_ context.Context, s *Snapshot) ([]Decision, error) {
	out := make([]Decision, 0, len(s.Containers))
	for i := range s.Containers {
		out = append(out, Decision{ContainerID: s.Containers[i].ID, Action: Remove, Reason: fmt.Sprintf("newer than the %d oldest", 3)})
	}
	return out, nil
}
