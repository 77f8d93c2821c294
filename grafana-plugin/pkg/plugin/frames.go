package plugin

import (
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// unit is the Grafana unit of a figure, by its JSON name.
func unit(field string) string {
	switch {
	case strings.HasSuffix(field, "_bytes_per_second"):
		return "Bps"
	case strings.HasSuffix(field, "_bytes"):
		return "bytes"
	case strings.HasSuffix(field, "_percent"):
		return "percent"
	case strings.HasSuffix(field, "_ms"):
		return "ms"
	}
	return "none"
}

// numberField is a figure's values with its labels and unit: the shape
// Grafana's time-series conventions (and so alert rules) expect.
func numberField[T float64 | *float64 | int64](name string, labels data.Labels, vals []T) *data.Field {
	f := data.NewField(name, labels, vals)
	f.SetConfig(&data.FieldConfig{Unit: unit(name)})
	return f
}

// seriesFrame is a wide time series: one time field and figures that
// share their labels (the agent, the container). A query's frames are
// Grafana's "multi" time-series kind: one frame per label set.
func seriesFrame(name string, times []time.Time, fields ...*data.Field) *data.Frame {
	f := data.NewFrame(name, append([]*data.Field{data.NewField("time", nil, times)}, fields...)...)
	f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}})
	return f
}

// tableFrame is an agent's table: a frame Grafana shows as rows, named
// after what it holds and its agent (the table panel's frame picker
// shows the name, and an empty table still says whose it is).
func tableFrame(name string, a *agent, fields ...*data.Field) *data.Frame {
	f := data.NewFrame(name+" "+a.name, fields...)
	f.SetMeta(&data.FrameMeta{PreferredVisualization: data.VisTypeTable})
	return f
}

// agentLabels labels a frame's figures with their agent, and more.
func agentLabels(a *agent, kv ...string) data.Labels {
	l := data.Labels{"agent": a.name}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return l
}
