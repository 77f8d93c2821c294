package plugin

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// defaultContainerFields are the per-container figures a containers
// query gives unless it names others: CPU, memory and I/O.
var defaultContainerFields = []string{"cpu_percent", "rss_bytes", "read_bytes_per_second", "write_bytes_per_second"}

// maxRemovedPages bounds the pages of removed containers read for one
// query (1,000 each, the agent's default).
const maxRemovedPages = 10

// queryContainers answers a containers query: per-container series
// (view series), the removals over time (removed), or a table of the
// containers with their last figures (table).
func queryContainers(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	all := q.IncludeRemoved || q.View == "removed"
	cs, err := listContainers(ctx, a, all, s.from)
	if err != nil {
		return nil, err
	}
	cs = filterContainers(cs, q, s)
	switch q.View {
	case "removed":
		return data.Frames{removedFrame(a, cs, s)}, nil
	case "table":
		return data.Frames{containersTable(a, cs)}, nil
	}
	if len(cs) > q.Limit {
		cs = cs[:q.Limit]
	}
	fields := q.Fields
	if len(fields) == 0 {
		fields = defaultContainerFields
	}
	return containerSeries(ctx, a, cs, s, fields)
}

// listContainers returns the agent's containers and, with all, the
// removed ones it holds that were still there at from (most recently
// removed first: the pages stop at the first removed before from).
func listContainers(ctx context.Context, a *agent, all bool, from time.Time) ([]apiv1.ContainerFigures, error) {
	ans, err := a.c.Containers(ctx, client.ContainersQuery{All: all})
	if err != nil {
		return nil, err
	}
	out := ans.Containers
	for page := 1; all && ans.Next != "" && page < maxRemovedPages; page++ {
		if last := out[len(out)-1]; !last.Removed.IsZero() && last.Removed.Before(from) {
			break
		}
		if ans, err = a.c.Containers(ctx, client.ContainersQuery{All: true, Before: ans.Next}); err != nil {
			return nil, err
		}
		out = append(out, ans.Containers...)
	}
	return out, nil
}

// filterContainers keeps the containers the query asks for that could
// have points in the span: created before its end, not removed before
// its start. Running ones come first, then the most recently removed.
func filterContainers(cs []apiv1.ContainerFigures, q models.Query, s span) []apiv1.ContainerFigures {
	name := q.NameFilter()
	var out []apiv1.ContainerFigures
	for _, c := range cs {
		switch {
		case q.Kind != "" && c.Kind != q.Kind,
			q.Class != "" && c.Class != q.Class,
			!name.MatchString(c.Name),
			c.Created.After(s.to),
			!c.Removed.IsZero() && c.Removed.Before(s.from):
			continue
		}
		out = append(out, c)
	}
	return out
}

// containerSeries asks for the containers' points in one call (one
// pass over the agent's history, answered as columns) and makes one
// wide frame per container labelled with the agent, the container's
// name, id and kind.
func containerSeries(ctx context.Context, a *agent, cs []apiv1.ContainerFigures, s span, fields []string) (data.Frames, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	var asked []string
	for _, f := range fields {
		if af := apiField(f); !slices.Contains(asked, af) {
			asked = append(asked, af)
		}
	}
	ans, err := a.c.SeriesSet(ctx, ids, asked, s.forSeries(len(ids)).rng())
	if err != nil {
		return nil, err
	}
	if len(ans.Series) != len(cs) {
		return nil, fmt.Errorf("series of %d containers, asked for %d", len(ans.Series), len(cs))
	}
	frames := make(data.Frames, len(cs))
	for i := range cs {
		frames[i] = containerFrame(a, &cs[i].Container, ans.Series[i], ans.Fields, fields)
	}
	return frames, nil
}

// apiField is the agent's figure a plugin field is made from: the I/O
// rates come from the cumulative counters.
func apiField(f string) string {
	switch f {
	case "read_bytes_per_second":
		return "read_bytes"
	case "write_bytes_per_second":
		return "write_bytes"
	}
	return f
}

// containerLabels are what tell a container's series apart.
func containerLabels(a *agent, c *apiv1.Container) data.Labels {
	l := agentLabels(a, "container", c.Name, "id", shortID(c.ID))
	if c.Kind != "" {
		l["kind"] = c.Kind
	}
	if !c.Removed.IsZero() {
		l["removed"] = "true"
	}
	return l
}

func shortID(id string) string { return id[:min(12, len(id))] }

// containerFrame is one container's columns as a wide frame of the
// fields named (models.ContainerFields). The I/O rates come from the
// cumulative counters, point to point; the first point has none.
func containerFrame(a *agent, c *apiv1.Container, col apiv1.SeriesColumns, colFields, fields []string) *data.Frame {
	times := make([]time.Time, len(col.TimesMs))
	for i, ms := range col.TimesMs {
		times[i] = time.UnixMilli(ms)
	}
	labels := containerLabels(a, c)
	var fs []*data.Field
	for _, name := range fields {
		vals := col.Values[slices.Index(colFields, apiField(name))]
		if name != apiField(name) {
			fs = append(fs, numberField(name, labels, rates(times, vals)))
			continue
		}
		fs = append(fs, numberField(name, labels, vals))
	}
	f := seriesFrame(c.Name, times, fs...)
	if len(fields) == 1 {
		fs[0].Config.DisplayNameFromDS = c.Name
	}
	return f
}

// rates are per second between consecutive values of a cumulative
// counter; a counter that went back (a restarted process group) starts
// over rather than giving a negative rate.
func rates(times []time.Time, counter []float64) []*float64 {
	out := make([]*float64, len(counter))
	for i := 1; i < len(counter); i++ {
		dt := times[i].Sub(times[i-1]).Seconds()
		if dt <= 0 || counter[i] < counter[i-1] {
			continue
		}
		r := (counter[i] - counter[i-1]) / dt
		out[i] = &r
	}
	return out
}

// removedFrame counts the containers removed in each step of the span:
// the course's "containers deleted over time".
func removedFrame(a *agent, cs []apiv1.ContainerFigures, s span) *data.Frame {
	start := s.from.Truncate(s.step)
	n := int(s.to.Sub(start)/s.step) + 1
	times := make([]time.Time, n)
	counts := make([]float64, n)
	for i := range times {
		times[i] = start.Add(time.Duration(i) * s.step)
	}
	for _, c := range cs {
		if c.Removed.IsZero() || c.Removed.Before(s.from) || c.Removed.After(s.to) {
			continue
		}
		counts[int(c.Removed.Sub(start)/s.step)]++
	}
	return seriesFrame("removed", times, numberField("removed", agentLabels(a), counts))
}

// containersTable lists the containers with their last figures, the
// running first, then by name.
func containersTable(a *agent, cs []apiv1.ContainerFigures) *data.Frame {
	cs = slices.Clone(cs)
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Running != cs[j].Running {
			return cs[i].Running
		}
		return cs[i].Name < cs[j].Name
	})
	n := len(cs)
	agentCol, id, name, image, kind, state, class := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cpu, ram := make([]float64, n), make([]float64, n)
	rss, procs := make([]int64, n), make([]int64, n)
	created, removed := make([]time.Time, n), make([]*time.Time, n)
	for i, c := range cs {
		agentCol[i], id[i], name[i], image[i], kind[i], state[i], class[i] = a.name, c.ID, c.Name, c.Image, c.Kind, c.State, c.Class
		cpu[i], ram[i], rss[i], procs[i] = c.CPUPercent, c.RAMPercent, int64(c.RSSBytes), int64(c.Processes)
		created[i] = c.Created
		if !c.Removed.IsZero() {
			removed[i] = &cs[i].Removed
		}
	}
	return tableFrame("containers", a,
		data.NewField("agent", nil, agentCol), data.NewField("name", nil, name), data.NewField("id", nil, id),
		data.NewField("image", nil, image), data.NewField("kind", nil, kind), data.NewField("state", nil, state),
		data.NewField("class", nil, class), numberField("cpu_percent", nil, cpu), numberField("ram_percent", nil, ram),
		numberField("rss_bytes", nil, rss), numberField("processes", nil, procs),
		data.NewField("created", nil, created), data.NewField("removed", nil, removed))
}
