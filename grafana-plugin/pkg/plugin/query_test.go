package plugin

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func dq(from, to time.Time, maxPoints int64, interval time.Duration) backend.DataQuery {
	return backend.DataQuery{TimeRange: backend.TimeRange{From: from, To: to}, MaxDataPoints: maxPoints, Interval: interval}
}

// The step is what the panel can draw, in whole seconds, never finer
// than a second nor more points than the agent answers.
func TestSpanStep(t *testing.T) {
	for _, c := range []struct {
		q    backend.DataQuery
		want time.Duration
	}{
		{dq(t0, t0.Add(time.Hour), 1000, 5*time.Second), 5 * time.Second},
		{dq(t0, t0.Add(time.Hour), 100, time.Second), 36 * time.Second},
		{dq(t0, t0.Add(time.Minute), 1000, 0), time.Second},
		{dq(t0, t0.Add(30*24*time.Hour), 0, 0), 236 * time.Second}, // 11,000 points at most
		{dq(t0, t0.Add(time.Hour), 1000, 2500*time.Millisecond), 4 * time.Second},
	} {
		s, err := newSpan(c.q)
		if err != nil || s.step != c.want {
			t.Errorf("%v over %v, %d points: step %v, %v; want %v", c.q.Interval, c.q.TimeRange.Duration(), c.q.MaxDataPoints, s.step, err, c.want)
		}
	}
	for q, want := range map[*backend.DataQuery]string{
		ptr(dq(t0, t0, 1000, 0)):                      "empty time range",
		ptr(dq(t0, t0.Add(-time.Hour), 1000, 0)):      "empty time range",
		ptr(dq(time.Time{}, t0, 1000, 0)):             "empty time range",
		ptr(dq(t0, t0.Add(45*24*time.Hour), 1000, 0)): "45 days is longer than an agent answers",
	} {
		if _, err := newSpan(*q); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v–%v: %v, want %q", q.TimeRange.From, q.TimeRange.To, err, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Many series share a budget of points: the step grows with them.
func TestForSeries(t *testing.T) {
	s := span{from: t0, to: t0.Add(time.Hour), step: 5 * time.Second}
	if got := s.forSeries(1).step; got != 5*time.Second {
		t.Errorf("one series: %v", got)
	}
	if got := s.forSeries(10).step; got != 5*time.Second {
		t.Errorf("ten series: %v", got)
	}
	if got := s.forSeries(50).step; got != 18*time.Second {
		t.Errorf("50 series: %v, want 18s (50 × 200 points)", got)
	}
}

// One agent's failure is its own frame with a notice; all failing is
// the answer's error.
func TestMerge(t *testing.T) {
	a, b := &agent{name: "a", url: "http://a"}, &agent{name: "b", url: "http://b"}
	ok := data.Frames{data.NewFrame("system", data.NewField("v", nil, []float64{1}))}
	resp := merge([]result[data.Frames]{{agent: a, val: ok}, {agent: b, err: errors.New("connection refused")}}, "A")
	if resp.Error != nil || len(resp.Frames) != 2 || resp.Frames[0].RefID != "A" {
		t.Fatalf("one down: %+v", resp)
	}
	if f := resp.Frames[1]; f.Name != "agent b" || len(f.Meta.Notices) != 1 || !strings.Contains(f.Meta.Notices[0].Text, "agent b (http://b): connection refused") {
		t.Errorf("the failed agent's frame: %+v", f)
	}
	resp = merge([]result[data.Frames]{{agent: a, err: errors.New("x")}, {agent: b, err: errors.New("y")}}, "A")
	if resp.Error == nil || !strings.Contains(resp.Error.Error(), "agent a") || !strings.Contains(resp.Error.Error(), "agent b") {
		t.Errorf("all down: %v", resp.Error)
	}
}
