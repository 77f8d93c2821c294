package plugin

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// queryEvents answers an events query: kills, decisions, outages and
// discrepancies of the range, as a table or as annotations.
func queryEvents(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error) {
	evs, more, err := readEvents(ctx, a, s, q.EventKind, q.Limit)
	if err != nil {
		return nil, err
	}
	var f *data.Frame
	if q.View == "annotations" {
		f = annotationsFrame(a, evs)
	} else {
		f = eventsTable(a, evs)
	}
	if more {
		truncated(f, q.Limit)
	}
	return data.Frames{f}, nil
}

// readEvents reads the range's events of a kind, page after page, up to
// limit; more says whether the range held more.
func readEvents(ctx context.Context, a *agent, s span, kind string, limit int) ([]apiv1.Event, bool, error) {
	var out []apiv1.Event
	after := ""
	for {
		ans, err := a.c.Events(ctx, client.EventsQuery{From: client.Time(s.from), To: client.Time(s.to),
			Kind: kind, Limit: limit - len(out), After: after})
		if err != nil {
			return nil, false, err
		}
		out = append(out, ans.Events...)
		if ans.Next == "" {
			return out, false, nil
		}
		if len(out) >= limit {
			return out, true, nil
		}
		after = ans.Next
	}
}

// truncated tells the panel that the range held more than it shows.
func truncated(f *data.Frame, limit int) {
	f.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning,
		Text: "the range holds more than " + strconv.Itoa(limit) + " events: narrow it, or raise the query's limit"})
}

// eventsTable is events as rows: time, agent, kind, container, message
// and the event's figures as JSON.
func eventsTable(a *agent, evs []apiv1.Event) *data.Frame {
	n := len(evs)
	times := make([]time.Time, n)
	agentCol, kind, container, msg, figs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range evs {
		times[i], agentCol[i], kind[i], container[i], msg[i] = e.Time, a.name, e.Kind, shortID(e.ContainerID), e.Message
		if len(e.Data) > 0 {
			b, _ := json.Marshal(e.Data) // a map of strings always marshals
			figs[i] = string(b)
		}
	}
	return tableFrame("events", a, data.NewField("time", nil, times), data.NewField("agent", nil, agentCol),
		data.NewField("kind", nil, kind), data.NewField("container", nil, container),
		data.NewField("message", nil, msg), data.NewField("data", nil, figs))
}

// annotationsFrame is events as Grafana's annotations: time, title,
// text and tags (the agent, the kind and its prefix, the outcome).
func annotationsFrame(a *agent, evs []apiv1.Event) *data.Frame {
	n := len(evs)
	times := make([]time.Time, n)
	title, text, tags, agentCol := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range evs {
		times[i], agentCol[i] = e.Time, a.name
		title[i] = e.Kind
		text[i] = e.Message
		t := []string{"agent:" + a.name, e.Kind}
		if prefix, _, ok := strings.Cut(e.Kind, "."); ok {
			t = append(t, prefix)
		}
		if o := e.Data["outcome"]; o != "" {
			t = append(t, "outcome:"+o)
		}
		tags[i] = strings.Join(t, ",")
	}
	f := data.NewFrame("annotations "+a.name, data.NewField("time", nil, times), data.NewField("title", nil, title),
		data.NewField("text", nil, text), data.NewField("tags", nil, tags), data.NewField("agent", nil, agentCol))
	f.SetMeta(&data.FrameMeta{DataTopic: data.DataTopicAnnotations})
	return f
}
