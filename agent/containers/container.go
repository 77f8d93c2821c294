package containers

import (
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// KindLabel is the label that names a workload's kind (cpu, ram, ...).
const KindLabel = apiv1.KindLabel

// Container is what the Watcher knows of one container (the API's wire
// type: what the watcher sees is what is stored and served).
type Container = apiv1.Container

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
