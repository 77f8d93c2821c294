package procfs

import (
	"strconv"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// Alive reports whether the process k identifies still exists (a zombie
// counts: it has not been reaped). The start time tells a reused pid
// apart: /proc/<pid>/stat gives it in clock ticks, truncated from the
// kernel's nanoseconds (nsec_to_clock_t), so the key's time is truncated
// the same way. It is the liveness oracle the cross-check uses to tell
// a process that exited between two reads from one a view missed.
func (w *Walker) Alive(k snapshot.Key) bool {
	b, err := w.readFile(w.root() + "/" + strconv.Itoa(int(k.PID)) + "/stat")
	if err != nil {
		return false
	}
	st, err := ParseStat(b)
	if err != nil {
		return false
	}
	return st.StartTicks == k.StartTimeNs/NsPerTick
}
