package plugin

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// queryProcesses answers the course's system dashboard: the processes
// counted over time (view count, from the machine's points) or the top
// processes by RSS at the end of the range (view top).
func queryProcesses(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	if q.View == "count" {
		ans, err := a.c.System(ctx, s.rng())
		if err != nil {
			return nil, err
		}
		return data.Frames{systemFrame("processes", a, ans.Points, []string{"processes"})}, nil
	}
	ans, err := a.c.Processes(ctx, client.Time(s.to))
	if err != nil {
		return nil, err
	}
	ps := ans.Processes
	if len(ps) > q.Limit {
		ps = ps[:q.Limit]
	}
	n := len(ps)
	agentCol, comm, container := make([]string, n), make([]string, n), make([]string, n)
	pid, rss := make([]int64, n), make([]int64, n)
	cpu := make([]float64, n)
	for i, p := range ps {
		agentCol[i], comm[i], container[i] = a.name, p.Comm, shortID(p.ContainerID)
		pid[i], rss[i], cpu[i] = int64(p.PID), int64(p.RSSBytes), p.CPUPercent
	}
	return data.Frames{tableFrame("processes", a, data.NewField("agent", nil, agentCol), data.NewField("pid", nil, pid),
		data.NewField("comm", nil, comm), data.NewField("container", nil, container),
		numberField("cpu_percent", nil, cpu), numberField("rss_bytes", nil, rss))}, nil
}
