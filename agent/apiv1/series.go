package apiv1

import "time"

// SeriesFigures are the figures a series set can carry, by their
// ContainerPoint JSON names: every number of a point.
var SeriesFigures = []string{"cpu_percent", "cpu_ns", "rss_bytes", "memory_usage_bytes", "memory_working_set_bytes",
	"ram_percent", "read_bytes", "write_bytes", "processes", "threads", "vsz_bytes"}

// MaxSeriesSetIDs bounds the containers of one series set.
const MaxSeriesSetIDs = 200

// SeriesSetAnswer answers /api/v1/containers/series: several
// containers' points over one range, each container's as columns.
type SeriesSetAnswer struct {
	// From is the range's start.
	From time.Time `json:"from"`
	// To is the range's end.
	To time.Time `json:"to"`
	// Fields are the figures of every series' Values, in order (names of
	// SeriesFigures).
	Fields []string `json:"fields"`
	// Series are the containers' points, in the order they were asked.
	Series []SeriesColumns `json:"series"`
}

// SeriesColumns is one container's points as columns: a column of times
// and one of each figure, so that a panel of 50 containers costs a few
// numbers a point rather than a JSON object.
type SeriesColumns struct {
	// ID is the container's full id, whatever the request named it by.
	ID string `json:"id"`
	// Step is the step the points were folded by ("0s": every point).
	Step string `json:"step"`
	// TimesMs are the points' times in Unix milliseconds, oldest first.
	TimesMs []int64 `json:"times_ms"`
	// Values are the figures' columns: Values[f][i] is Fields[f] at
	// TimesMs[i].
	Values [][]float64 `json:"values"`
}

// Figure is the point's figure of that JSON name (one of SeriesFigures),
// as a number; false for a name that is none of them.
func (p *ContainerPoint) Figure(name string) (float64, bool) {
	switch name {
	case "cpu_percent":
		return p.CPUPercent, true
	case "cpu_ns":
		return float64(p.CPUNs), true
	case "rss_bytes":
		return float64(p.RSSBytes), true
	case "memory_usage_bytes":
		return float64(p.MemUsageBytes), true
	case "memory_working_set_bytes":
		return float64(p.WorkingSetBytes), true
	case "ram_percent":
		return p.RAMPercent, true
	case "read_bytes":
		return float64(p.ReadBytes), true
	case "write_bytes":
		return float64(p.WriteBytes), true
	case "processes":
		return float64(p.Processes), true
	case "threads":
		return float64(p.Threads), true
	case "vsz_bytes":
		return float64(p.VSZBytes), true
	}
	return 0, false
}
