package quota

import "github.com/kwarden/kwarden/agent/policy"

// class is c's class under the configured source, or "" when it has
// none and is left alone.
func (p *Policy) class(c *policy.Container) string {
	switch p.ClassSource {
	case SourceAgent:
		if c.Class == High || c.Class == Low {
			return c.Class
		}
	case SourceMeasured:
		// The agent's Class is "" until it has a rate: the figures
		// are not yet a measurement.
		if c.Class == "" {
			return ""
		}
		if c.CPUPercent > p.CPUPercent || c.RAMPercent > p.RAMPercent {
			return High
		}
		return Low
	case SourceKind:
		switch c.Kind {
		case "cpu", "ram":
			return High
		case "low":
			return Low
		case "io":
			return p.IOClass
		case "disk":
			return p.DiskClass
		}
	}
	return ""
}
