package source

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
)

// Docker is Docker's view of the containers. The watcher keeps it
// current from the engine's events in the background (Run); a read
// takes the view as it is, and fails while the engine does not answer
// (the view is then the last one it gave).
type Docker struct {
	*Meter
	w *containers.Watcher
}

// OpenDocker creates the watcher for host ("" for DOCKER_HOST or the
// default socket); it reconnects at most every retry, and finds the
// containers' cgroups below procRoot and cgroupRoot ("" for the
// system's). It does not contact the engine: Run does.
// onOOM, if set, is told of Docker's OOM events (containers.Options).
func OpenDocker(host string, retry time.Duration, procRoot, cgroupRoot string, log *slog.Logger, onOOM func(id string)) (*Docker, error) {
	w, err := containers.New(containers.Options{Host: host, Logger: log, RetryMax: retry,
		Resolver: containers.Resolver{ProcRoot: procRoot, CgroupRoot: cgroupRoot}, OnOOM: onOOM})
	if err != nil {
		return nil, err
	}
	return &Docker{Meter: newMeter("docker"), w: w}, nil
}

// Run follows the engine until ctx ends.
func (d *Docker) Run(ctx context.Context) error { return d.w.Run(ctx) }

// Changed returns a channel closed at the next change of the view.
func (d *Docker) Changed() <-chan struct{} { return d.w.Changed() }

// Read returns the view and the connection's status; its error says
// why the engine does not answer.
func (d *Docker) Read() ([]containers.Container, containers.Status, error) {
	start := time.Now()
	cs, st := d.w.Containers(), d.w.Status()
	var err error
	if !st.Connected {
		err = errors.New("not connected")
		if st.LastError != "" {
			err = errors.New(st.LastError)
		}
	}
	return cs, st, d.observe(start, err)
}

// ConnStatus is the watcher's connection state, without a read.
func (d *Docker) ConnStatus() containers.Status { return d.w.Status() }

// Close releases the client.
func (d *Docker) Close() error { return d.w.Close() }
