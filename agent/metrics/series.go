package metrics

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// series is the label names of a metric, in the order of its Desc, and
// the label pairs of one container (or the machine, or a source), sorted
// by name as the exposition wants them. Built once per container and
// shared, read-only, by all its series: client_golang's const metrics
// build and sort the pairs again for every series, which was a sixth of
// a scrape's CPU at 200 containers.
type series struct {
	names []string
	pairs []*dto.LabelPair
}

// labelled is the series with these names and values (as many of each).
func labelled(names, values []string) series {
	s := series{names: names, pairs: make([]*dto.LabelPair, len(names))}
	for i := range names {
		s.pairs[i] = &dto.LabelPair{Name: &names[i], Value: &values[i]}
	}
	slices.SortFunc(s.pairs, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return s
}

// with is s and one more label.
func (s series) with(name, value string) series {
	p := &dto.LabelPair{Name: &name, Value: &value}
	i, _ := slices.BinarySearchFunc(s.pairs, name, func(l *dto.LabelPair, n string) int { return strings.Compare(l.GetName(), n) })
	return series{names: append(slices.Clip(s.names), name), pairs: slices.Insert(slices.Clip(s.pairs), i, p)}
}

// sample is one value of a series: a prometheus.Metric whose labels are
// the series' shared pairs. A gauge or a counter.
type sample struct {
	desc  *prometheus.Desc
	pairs []*dto.LabelPair
	t     prometheus.ValueType
	value float64
}

func (m *sample) Desc() *prometheus.Desc { return m.desc }

// Write fills out. The pairs are shared: the registry and the encoders
// only read a metric's labels (client_golang's contract for Write).
func (m *sample) Write(out *dto.Metric) error {
	out.Label = m.pairs
	v := m.value
	if m.t == prometheus.CounterValue {
		out.Counter = &dto.Counter{Value: &v}
	} else {
		out.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}
