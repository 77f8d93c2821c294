package main

import (
	"bytes"
	"fmt"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// label is one name="value" pair of a sample, unescaped.
type label struct{ name, value string }

// sample is one line of a Prometheus text exposition (format 0.0.4).
type sample struct {
	name   string
	labels []label
	value  float64
	ts     time.Time // the sample's own timestamp; zero when the line has none
}

// get returns the value of the label called name, and whether it is set.
func (s *sample) get(name string) (string, bool) {
	for _, l := range s.labels {
		if l.name == name {
			return l.value, true
		}
	}
	return "", false
}

// exposition is one parsed /metrics answer: its samples, flattened.
type exposition struct{ samples []sample }

// parseExposition parses the text format (0.0.4) with Prometheus's own
// parser and flattens it into samples. Counters, gauges and untyped
// metrics give one sample each; a histogram or summary gives its sum
// (nothing here reads them). An error names the line it cannot read.
func parseExposition(b []byte) (*exposition, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse exposition: %w", err)
	}
	e := &exposition{}
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			s := sample{name: name}
			for _, l := range m.GetLabel() {
				s.labels = append(s.labels, label{l.GetName(), l.GetValue()})
			}
			switch {
			case m.Counter != nil:
				s.value = m.Counter.GetValue()
			case m.Gauge != nil:
				s.value = m.Gauge.GetValue()
			case m.Untyped != nil:
				s.value = m.Untyped.GetValue()
			case m.Histogram != nil:
				s.value = m.Histogram.GetSampleSum()
			case m.Summary != nil:
				s.value = m.Summary.GetSampleSum()
			}
			if m.TimestampMs != nil {
				s.ts = time.UnixMilli(m.GetTimestampMs())
			}
			e.samples = append(e.samples, s)
		}
	}
	return e, nil
}

// names is the number of distinct metric names among the samples: the
// families (an untyped histogram's _bucket, _sum and _count are three).
func (e *exposition) names() int {
	seen := map[string]bool{}
	for i := range e.samples {
		seen[e.samples[i].name] = true
	}
	return len(seen)
}

// series returns the sum of every sample of metric whose label key is
// val (cAdvisor splits a container's CPU by a cpu label, one series per
// CPU), the number of samples summed, and their latest own timestamp
// (zero if they have none).
func (e *exposition) series(metric, key, val string) (sum float64, n int, ts time.Time) {
	for i := range e.samples {
		s := &e.samples[i]
		if s.name != metric {
			continue
		}
		if v, ok := s.get(key); !ok || v != val {
			continue
		}
		sum += s.value
		n++
		if s.ts.After(ts) {
			ts = s.ts
		}
	}
	return sum, n, ts
}

// value returns the value of metric's first sample, and whether it has
// one.
func (e *exposition) value(metric string) (float64, bool) {
	for i := range e.samples {
		if e.samples[i].name == metric {
			return e.samples[i].value, true
		}
	}
	return 0, false
}

// label returns the value of key on the first sample of metric, or "".
func (e *exposition) label(metric, key string) string {
	for i := range e.samples {
		if e.samples[i].name == metric {
			v, _ := e.samples[i].get(key)
			return v
		}
	}
	return ""
}
