package plugin

import (
	"context"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// queryTop answers the course's "top 5": the containers that used the
// most of a figure over the range, removed ones included, as the
// agent's ranking (view table) or as each one's series of that figure
// (view series, highest first).
func queryTop(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	top, err := a.c.Top(ctx, client.TopQuery{From: client.Time(s.from), To: client.Time(s.to), By: q.By, Rank: q.Rank, N: q.Limit})
	if err != nil {
		return nil, err
	}
	if q.View == "table" {
		return data.Frames{topTable(a, top)}, nil
	}
	cs := make([]apiv1.ContainerFigures, len(top.Containers))
	for i, t := range top.Containers {
		cs[i].Container = apiv1.Container{ID: t.ID, Name: t.Name, Image: t.Image, Kind: t.Kind, Removed: t.Removed}
	}
	frames, err := containerSeries(ctx, a, cs, s, []string{top.By})
	if err != nil {
		return nil, err
	}
	for i, f := range frames {
		f.Fields[1].Labels["rank"] = fmt.Sprint(i + 1)
	}
	return frames, nil
}

// topTable is the ranking as rows, highest first.
func topTable(a *agent, top apiv1.TopAnswer) *data.Frame {
	n := len(top.Containers)
	agentCol, id, name, kind := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	rank, samples := make([]int64, n), make([]int64, n)
	mean, peak := make([]float64, n), make([]float64, n)
	first, last := make([]time.Time, n), make([]time.Time, n)
	removed := make([]*time.Time, n)
	for i, c := range top.Containers {
		agentCol[i], id[i], name[i], kind[i] = a.name, c.ID, c.Name, c.Kind
		rank[i], samples[i], mean[i], peak[i] = int64(i+1), int64(c.Samples), c.Mean, c.Peak
		first[i], last[i] = c.First, c.Last
		if !c.Removed.IsZero() {
			removed[i] = &top.Containers[i].Removed
		}
	}
	meanF := numberField("mean", nil, mean)
	peakF := numberField("peak", nil, peak)
	meanF.Config.Unit, peakF.Config.Unit = unit(top.By), unit(top.By)
	return tableFrame("top "+top.By, a, data.NewField("agent", nil, agentCol), data.NewField("rank", nil, rank),
		data.NewField("name", nil, name), data.NewField("id", nil, id), data.NewField("kind", nil, kind),
		meanF, peakF, data.NewField("samples", nil, samples), data.NewField("first", nil, first),
		data.NewField("last", nil, last), data.NewField("removed", nil, removed))
}
