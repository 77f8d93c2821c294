package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
)

// Stream paths: Grafana Live channels of this datasource, one per agent
// and kind: system/<agent> (the machine, a row per tick) and
// containers/<agent> (a row per running container per tick).
const (
	streamSystem     = "system"
	streamContainers = "containers"
)

// Reconnection after an agent ends or drops the stream (a restart):
// from the first delay, doubling, up to the last.
const (
	streamRetryFirst = 250 * time.Millisecond
	streamRetryMax   = 5 * time.Second
)

// parseStreamPath splits kind/agent and finds the agent.
func (d *Datasource) parseStreamPath(path string) (string, *agent, error) {
	kind, name, ok := strings.Cut(path, "/")
	if !ok || (kind != streamSystem && kind != streamContainers) {
		return "", nil, fmt.Errorf("stream path %q: want system/<agent> or containers/<agent>", path)
	}
	agents, err := d.agents.pick([]string{name})
	if err != nil {
		return "", nil, err
	}
	return kind, agents[0], nil
}

// SubscribeStream admits a subscription to a known agent's channel.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if _, _, err := d.parseStreamPath(req.Path); err != nil {
		backend.Logger.Warn("stream subscription refused", "path", req.Path, "error", err)
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream refuses: the channels are the agents' to write.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream follows the agent's /api/v1/stream and sends a frame per
// tick until Grafana ends the channel (ctx). When the agent ends the
// stream or cannot be reached (a restart), it reconnects with backoff,
// so the channel lives across restarts of the agent.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	kind, a, err := d.parseStreamPath(req.Path)
	if err != nil {
		return err
	}
	send := func(t apiv1.StreamTick) error {
		f := containersTickFrame(a, t)
		if kind == streamSystem {
			f = systemTickFrame(a, t)
		}
		if err := sender.SendFrame(f, data.IncludeAll); err != nil {
			return &sendError{err}
		}
		return nil
	}
	wait := streamRetryFirst
	for {
		start := time.Now()
		err := a.c.Stream(ctx, send)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > streamRetryMax {
			wait = streamRetryFirst // it ran a while: a fresh drop, not a dead agent
		}
		backend.Logger.Warn("agent stream ended, reconnecting", "agent", a.name, "error", err, "in", wait)
		var sendErr *sendError
		if errors.As(err, &sendErr) {
			return sendErr.err // Grafana is gone: nothing to send to
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, streamRetryMax)
	}
}

// sendError marks a failure to send to Grafana, as opposed to the
// agent's stream failing.
type sendError struct{ err error }

func (e *sendError) Error() string { return "send to Grafana: " + e.err.Error() }

// systemTickFrame is one tick of the machine, one row.
func systemTickFrame(a *agent, t apiv1.StreamTick) *data.Frame {
	l := agentLabels(a)
	return data.NewFrame("system",
		data.NewField("time", nil, []time.Time{t.Time}),
		numberField("mem_used_bytes", l, []float64{float64(t.MemUsedBytes)}),
		numberField("mem_total_bytes", l, []float64{float64(t.MemTotalBytes)}),
		numberField("cpu_percent", l, []float64{t.CPUPercent}),
		numberField("containers", l, []float64{float64(len(t.Containers))}),
		numberField("discrepancies", l, []float64{float64(t.Discrepancies)}),
		data.NewField("tick", l, []int64{int64(t.Tick)}))
}

// containersTickFrame is one tick of the running containers, a row
// each (Grafana's long format: the container is a column).
func containersTickFrame(a *agent, t apiv1.StreamTick) *data.Frame {
	n := len(t.Containers)
	times, agentCol, name, class := make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n)
	cpu, rss := make([]float64, n), make([]float64, n)
	for i, c := range t.Containers {
		times[i], agentCol[i], name[i], class[i] = t.Time, a.name, c.Name, c.Class
		cpu[i], rss[i] = c.CPUPercent, float64(c.RSSBytes)
	}
	return data.NewFrame("containers", data.NewField("time", nil, times), data.NewField("agent", nil, agentCol),
		data.NewField("container", nil, name), data.NewField("class", nil, class),
		numberField("cpu_percent", nil, cpu), numberField("rss_bytes", nil, rss))
}
