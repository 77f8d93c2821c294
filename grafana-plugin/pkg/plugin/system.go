package plugin

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// defaultSystemFields are the course's system figures: memory total,
// free and used, and CPU.
var defaultSystemFields = []string{"mem_total_bytes", "mem_free_bytes", "mem_used_bytes", "cpu_percent"}

// querySystem is the machine over time: one wide frame per agent.
func querySystem(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	ans, err := a.c.System(ctx, s.rng())
	if err != nil {
		return nil, err
	}
	fields := q.Fields
	if len(fields) == 0 {
		fields = defaultSystemFields
	}
	return data.Frames{systemFrame("system", a, ans.Points, fields)}, nil
}

// systemFrame is the machine's points as a wide frame of the fields
// named (models.SystemFields).
func systemFrame(name string, a *agent, pts []apiv1.SystemPoint, fields []string) *data.Frame {
	times := make([]time.Time, len(pts))
	for i, p := range pts {
		times[i] = p.Time
	}
	var fs []*data.Field
	for _, name := range fields {
		vals := make([]float64, len(pts))
		for i := range pts {
			vals[i] = systemFigure(&pts[i], name)
		}
		fs = append(fs, numberField(name, agentLabels(a), vals))
	}
	return seriesFrame(name, times, fs...)
}

func systemFigure(p *apiv1.SystemPoint, name string) float64 {
	switch name {
	case "mem_total_bytes":
		return float64(p.MemTotalBytes)
	case "mem_used_bytes":
		return float64(p.MemUsedBytes)
	case "mem_free_bytes":
		return float64(p.MemFreeBytes)
	case "mem_available_bytes":
		return float64(p.MemAvailBytes)
	case "cpu_percent":
		return p.CPUPercent
	case "processes":
		return float64(p.Processes)
	case "containers":
		return float64(p.Containers)
	case "discrepancies":
		return float64(p.Discrepancies)
	case "hidden":
		return float64(p.Hidden)
	}
	return 0
}
