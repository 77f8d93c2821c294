package policy

import (
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
