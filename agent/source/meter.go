package source

import (
	"sync"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Meter times a source's reads and keeps its status. Safe for
// concurrent use (the exit stream is drained by the tick and by a
// waiter).
type Meter struct {
	mu sync.Mutex
	st apiv1.SourceStatus
}

func newMeter(name string) *Meter {
	return &Meter{st: apiv1.SourceStatus{Name: name, State: apiv1.SourceOK}}
}

// unavailable is the meter of a source that could not be opened.
func unavailable(name string, err error) *Meter {
	return &Meter{st: apiv1.SourceStatus{Name: name, State: apiv1.SourceUnavailable, Error: err.Error()}}
}

// Name is the source's name.
func (m *Meter) Name() string { return m.st.Name }

// observe records a read that began at start and ended with err, and
// returns err.
func (m *Meter) observe(start time.Time, err error) error {
	d := time.Since(start)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.st.Reads++
	m.st.DurationSeconds = d.Seconds()
	if err != nil {
		m.st.Failures++
		m.st.State, m.st.Error = apiv1.SourceFailing, err.Error()
	} else {
		m.st.State, m.st.Error = apiv1.SourceOK, ""
	}
	return err
}

// Status is the source's state after its last read.
func (m *Meter) Status() apiv1.SourceStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}
