package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// The agent's bounds on a range query (docs/api.md#limits): a plugin
// that checks them first says what is wrong in the panel's words,
// rather than passing on a 400.
const (
	maxRange  = 31 * 24 * time.Hour
	maxPoints = 11000
)

// span is a query's time range and the step its series are folded by.
type span struct {
	from, to time.Time
	step     time.Duration
}

// newSpan checks Grafana's range and picks the step: what the panel can
// draw (its interval, or the range over its maximum of points), in whole
// seconds, and never more points than the agent answers.
func newSpan(q backend.DataQuery) (span, error) {
	from, to := q.TimeRange.From, q.TimeRange.To
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return span{}, fmt.Errorf("empty time range (from %s, to %s): pick a range whose start is before its end",
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	r := to.Sub(from)
	if r > maxRange {
		return span{}, fmt.Errorf("time range of %s is longer than an agent answers (31 days at most): narrow it", days(r))
	}
	step := q.Interval
	if q.MaxDataPoints > 0 {
		step = max(step, r/time.Duration(q.MaxDataPoints))
	}
	step = max(step, r/maxPoints+1, time.Second)
	step = (step + time.Second - 1).Truncate(time.Second)
	return span{from: from, to: to, step: step}, nil
}

func days(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	}
	return d.Round(time.Second).String()
}

// rng is the span as the client takes it.
func (s span) rng() client.Range {
	return client.Range{From: client.Time(s.from), To: client.Time(s.to), Step: s.step}
}

// seriesBudget bounds the points of one query's series together (per
// agent): a panel of 50 containers gets a coarser step than a panel of
// one, since no panel draws 50 lines of 900 points apart, and the
// agent's answer and the frames stay small (docs/benchmarks.md).
const seriesBudget = 10_000

// forSeries is the span for n series: its step coarsened, to whole
// seconds, until the n series fit seriesBudget.
func (s span) forSeries(n int) span {
	if n <= 1 {
		return s
	}
	if min := s.to.Sub(s.from) * time.Duration(n) / seriesBudget; s.step < min {
		s.step = (min + time.Second - 1).Truncate(time.Second)
	}
	return s
}

// agentFrames is what one query asks of one agent.
type agentFrames func(ctx context.Context, a *agent, s span, q models.Query) (data.Frames, error)

// handler is the QueryDataHandler of every query type: each query of
// the request is parsed and checked, then asked of its agents at once;
// each query's answer is under its RefID, an error included.
func (d *Datasource) handler() backend.QueryDataHandlerFunc {
	return func(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
		resp := backend.NewQueryDataResponse()
		for _, dq := range req.Queries {
			resp.Responses[dq.RefID] = d.query(ctx, dq)
		}
		return resp, nil
	}
}

func (d *Datasource) query(ctx context.Context, dq backend.DataQuery) backend.DataResponse {
	q, err := models.ParseQuery(dq.QueryType, dq.JSON)
	if err != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, err.Error())
	}
	s, err := newSpan(dq)
	if err != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, err.Error())
	}
	agents, err := d.agents.pick(q.Agents)
	if err != nil {
		return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, err.Error())
	}
	fn := queryFuncs[q.QueryType] // ParseQuery admits only these types
	rs := each(ctx, agents, func(ctx context.Context, a *agent) (data.Frames, error) { return fn(ctx, a, s, q) })
	return merge(rs, dq.RefID)
}

// merge joins the agents' frames. Agents that failed add a frame each,
// named after the agent, whose error notice the panel shows; when every
// agent failed, the answer is the error itself, so an alert rule sees
// an error rather than no data.
func merge(rs []result[data.Frames], refID string) backend.DataResponse {
	var resp backend.DataResponse
	var errs []error
	for _, r := range rs {
		if r.err != nil {
			err := agentError(r.agent, r.err)
			errs = append(errs, err)
			f := data.NewFrame("agent " + r.agent.name)
			f.RefID = refID
			f.SetMeta(&data.FrameMeta{Notices: []data.Notice{{Severity: data.NoticeSeverityError, Text: err.Error()}}})
			resp.Frames = append(resp.Frames, f)
			backend.Logger.Warn("agent query failed", "agent", r.agent.name, "error", r.err)
			continue
		}
		for _, f := range r.val {
			f.RefID = refID
		}
		resp.Frames = append(resp.Frames, r.val...)
	}
	if len(errs) == len(rs) && len(errs) > 0 {
		return backend.ErrDataResponseWithSource(backend.StatusBadGateway, backend.ErrorSourceDownstream, errors.Join(errs...).Error())
	}
	return resp
}
