package pressure

import "github.com/kwarden/kwarden/agent/policy"

// figure is one memory PSI figure a configuration can name, as
// /proc/pressure/memory writes it ("some avg10=…" is some_avg10).
type figure struct {
	name  string
	value func(*policy.PressureResource) float64
}

var figures = []figure{
	{"some_avg10", func(r *policy.PressureResource) float64 { return r.Some.Avg10 }},
	{"some_avg60", func(r *policy.PressureResource) float64 { return r.Some.Avg60 }},
	{"some_avg300", func(r *policy.PressureResource) float64 { return r.Some.Avg300 }},
	{"full_avg10", func(r *policy.PressureResource) float64 { return r.Full.Avg10 }},
	{"full_avg60", func(r *policy.PressureResource) float64 { return r.Full.Avg60 }},
	{"full_avg300", func(r *policy.PressureResource) float64 { return r.Full.Avg300 }},
}

// figureNamed is the figure called name; Validate has refused others.
func figureNamed(name string) (figure, bool) {
	for _, f := range figures {
		if f.name == name {
			return f, true
		}
	}
	return figure{}, false
}

func figureNames() []string {
	out := make([]string, len(figures))
	for i, f := range figures {
		out[i] = f.name
	}
	return out
}
