package report

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Range is the part of the history a graph shows.
type Range struct {
	From, To time.Time
	// Step folds a series' points by this much (the API's step); 0 asks
	// for every point.
	Step time.Duration
}

// Source is the history the graphs are drawn from: kwardend's store, or
// the API through agent/client. Its methods mean what the API's routes
// of the same names answer.
type Source interface {
	// System returns the machine's points in r, oldest first.
	System(ctx context.Context, r Range) ([]apiv1.SystemPoint, error)
	// Top returns the first n containers with a point in r, ranked by
	// the mean of figure by (one of apiv1.TopFigures), removed ones
	// included, highest first.
	Top(ctx context.Context, r Range, by string, n int) ([]apiv1.TopContainer, error)
	// Series returns one container's points in r, oldest first; id is
	// its full id.
	Series(ctx context.Context, id string, r Range) ([]apiv1.ContainerPoint, error)
}

// Query says what to collect.
type Query struct {
	From, To time.Time
	// Top is how many containers the ranked graphs show; 0 means 5.
	Top int
	// Points bounds each line's points (the series are folded to fit):
	// a graph has no use for more than its width in pixels; 0 means 1,000.
	Points int
}

// Data is everything the graphs show.
type Data struct {
	From, To time.Time
	// System are the machine's points.
	System []apiv1.SystemPoint
	// TopRAM and TopCPU are the containers ranked by RSS and by CPU %.
	TopRAM, TopCPU Ranking
}

// Ranking is the containers ranked by one figure, each with its series.
type Ranking struct {
	// By is the figure (apiv1.FigureRSSBytes, apiv1.FigureCPUPercent).
	By    string
	Lines []Line
}

// Line is one container of a ranking and its points.
type Line struct {
	Container apiv1.TopContainer
	Points    []apiv1.ContainerPoint
}

// ErrNoData reports a range the history holds nothing of: no graph
// would show anything, so none is drawn.
var ErrNoData = errors.New("no history in the range")

// Collect reads from src what the graphs of [q.From, q.To] show. It
// makes 3 + up to 2×Top calls, one at a time; a failing one ends it
// with that call's error. A range with no machine point and no
// container is ErrNoData.
func Collect(ctx context.Context, src Source, q Query) (*Data, error) {
	if !q.From.Before(q.To) {
		return nil, fmt.Errorf("collect: from %s is not before to %s", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	if q.Top <= 0 {
		q.Top = 5
	}
	if q.Points <= 0 {
		q.Points = 1000
	}
	r := Range{From: q.From, To: q.To, Step: seriesStep(q.To.Sub(q.From), q.Points)}
	d := &Data{From: q.From, To: q.To, TopRAM: Ranking{By: apiv1.FigureRSSBytes}, TopCPU: Ranking{By: apiv1.FigureCPUPercent}}
	var err error
	if d.System, err = src.System(ctx, r); err != nil {
		return nil, fmt.Errorf("collect the machine's points: %w", err)
	}
	series := map[string][]apiv1.ContainerPoint{} // a container in both rankings is read once
	for _, rk := range []*Ranking{&d.TopRAM, &d.TopCPU} {
		top, err := src.Top(ctx, r, rk.By, q.Top)
		if err != nil {
			return nil, fmt.Errorf("collect the top containers by %s: %w", rk.By, err)
		}
		for _, c := range top {
			pts, ok := series[c.ID]
			if !ok {
				if pts, err = src.Series(ctx, c.ID, r); err != nil {
					return nil, fmt.Errorf("collect the series of %s: %w", c.Name, err)
				}
				series[c.ID] = pts
			}
			rk.Lines = append(rk.Lines, Line{Container: c, Points: pts})
		}
	}
	if len(d.System) == 0 && len(d.TopRAM.Lines) == 0 && len(d.TopCPU.Lines) == 0 {
		return nil, fmt.Errorf("%s to %s: %w", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), ErrNoData)
	}
	return d, nil
}

// seriesStep is the whole number of seconds that folds span into at
// most points points, or 0 (every point) when a second would not fold
// any: a line need not be finer than its graph's pixels.
func seriesStep(span time.Duration, points int) time.Duration {
	step := (span + time.Duration(points) - 1) / time.Duration(points)
	if step <= time.Second {
		return 0
	}
	return (step + time.Second - 1).Truncate(time.Second)
}
