package procfs

import (
	"os"
	"os/exec"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

func TestAlive(t *testing.T) {
	var w Walker
	self, err := w.Read(int32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	start := self.Stat.StartTicks * NsPerTick
	key := snapshot.Key{PID: int32(os.Getpid()), StartTimeNs: start + NsPerTick/2}
	if !w.Alive(key) {
		t.Errorf("own process %+v not alive", key)
	}
	// Same pid, another start time: a reused pid is another process.
	if w.Alive(snapshot.Key{PID: key.PID, StartTimeNs: start + NsPerTick}) {
		t.Error("a different start time counted as alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if w.Alive(snapshot.Key{PID: int32(cmd.Process.Pid)}) {
		t.Errorf("reaped child %d counted as alive", cmd.Process.Pid)
	}
	fixture := Walker{Root: "testdata/proc"}
	if fixture.Alive(snapshot.Key{PID: 1 << 30}) {
		t.Error("absent pid counted as alive")
	}
}
