package report

import (
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// gonum's default ticks fall where the data's range divides, not where
// a person reads a clock or a scale (12:06, 12:23, …; 0.00, 2500.00):
// these put them on round times and round numbers.

// timeTicks marks the time axis (Unix seconds) every round step of
// the location's clock: 5 to 10 labelled ticks.
type timeTicks struct {
	loc *time.Location
}

var _ plot.Ticker = timeTicks{}

// timeSteps are the steps a time axis is marked by.
var timeSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 2 * 24 * time.Hour,
	7 * 24 * time.Hour,
}

// Ticks implements plot.Ticker.
func (t timeTicks) Ticks(lo, hi float64) []plot.Tick {
	from, to := time.Unix(0, int64(lo*1e9)).In(t.loc), time.Unix(0, int64(hi*1e9)).In(t.loc)
	span := to.Sub(from)
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	layout := "15:04"
	switch {
	case step < time.Minute:
		layout = "15:04:05"
	case step >= 24*time.Hour:
		layout = "Jan 2"
	case span > 24*time.Hour:
		layout = "Jan 2 15:04"
	}
	var ticks []plot.Tick
	at := roundUp(from, step)
	for !at.After(to) && len(ticks) < 20 {
		ticks = append(ticks, plot.Tick{Value: unix(at), Label: at.Format(layout)})
		if step >= 24*time.Hour {
			// By the calendar: a day of a change of summer time is not
			// 24 hours long.
			at = at.AddDate(0, 0, int(step/(24*time.Hour)))
		} else {
			at = roundUp(at.Add(step/2), step)
		}
	}
	return ticks
}

// roundUp is the first time at or after t that is a whole step of the
// local clock, counted from midnight; for a step of a day or more, the
// first midnight.
func roundUp(t time.Time, step time.Duration) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	if step >= 24*time.Hour {
		if day.Before(t) {
			day = day.AddDate(0, 0, 1)
		}
		return day
	}
	since := t.Sub(day)
	n := (since + step - 1) / step
	return day.Add(n * step)
}

// numberTicks marks a value axis at round numbers (1, 2 or 5 times a
// power of ten apart): 4 to 8 ticks, each labelled with the digits its
// step needs.
type numberTicks struct{}

var _ plot.Ticker = numberTicks{}

// Ticks implements plot.Ticker.
func (numberTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'f', -1, 64)}}
	}
	// The smallest round step that gives at most 7 intervals.
	mag := math.Pow(10, math.Floor(math.Log10((hi-lo)/7)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if (hi-lo)/(m*mag) <= 7 {
			step = m * mag
			break
		}
	}
	prec := max(0, -int(math.Floor(math.Log10(step))))
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', prec, 64)})
	}
	return ticks
}
