package containers

import (
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// KindLabel is the label that names a workload's kind (cpu, ram, ...).
const KindLabel = "kwarden.kind"

// Container is what the Watcher knows of one container.
type Container struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Image    string            `json:"image"`
	Labels   map[string]string `json:"labels"`
	Kind     string            `json:"kind,omitempty"`
	State    string            `json:"state"` // created, running, paused, exited, dead, removed
	Running  bool              `json:"running"`
	PID      int               `json:"pid,omitempty"`
	ExitCode int               `json:"exit_code"`
	Created  time.Time         `json:"created"`
	Started  time.Time         `json:"started,omitzero"`
	Finished time.Time         `json:"finished,omitzero"`
	// Removed is when the Watcher saw the container destroyed; history
	// keeps removed containers queryable.
	Removed time.Time `json:"removed,omitzero"`
	Cgroups Cgroups   `json:"cgroups"`
}

// Age is how long the container has existed at now.
func (c *Container) Age(now time.Time) time.Duration { return now.Sub(c.Created) }

// fromInspect converts the Engine API's answer.
func fromInspect(in container.InspectResponse) Container {
	c := Container{}
	if in.ContainerJSONBase != nil {
		c.ID = in.ID
		c.Name = strings.TrimPrefix(in.Name, "/")
		c.Image = in.Image
		c.Created = parseTime(in.Created)
		if st := in.State; st != nil {
			c.State, c.Running, c.PID, c.ExitCode = string(st.Status), st.Running, st.Pid, st.ExitCode
			c.Started, c.Finished = parseTime(st.StartedAt), parseTime(st.FinishedAt)
		}
	}
	if in.Config != nil {
		c.Labels = in.Config.Labels
		c.Kind = in.Config.Labels[KindLabel]
		if in.Config.Image != "" {
			c.Image = in.Config.Image // the name it was run as, not the digest
		}
	}
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	return c
}

// parseTime reads Docker's RFC 3339 times; the zero time ("0001-…") and
// garbage give the zero Time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 2000 {
		return time.Time{}
	}
	return t
}
