package pressure

import (
	"fmt"
	"math"
	"time"

	"github.com/kwarden/kwarden/agent/policies/internal/configcheck"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/duration"
)

// Name is the policy's name: its binary is kwarden-policy-pressure.
const Name = "pressure"

// Policy is the policy, its configuration and, unexported, the time it
// last decided something.
type Policy struct {
	// Figure names the memory PSI figure compared with the threshold.
	Figure string `json:"figure"`
	// Size is how a container's size is counted: usage (its memory
	// cgroup's, page cache included) or working_set (usage less
	// inactive file pages).
	Size string `json:"size"`
	// ThresholdPercent is the share of time stalled above which the
	// policy acts.
	ThresholdPercent float64 `json:"threshold_percent"`
	// SizeThresholdPercent is the share of the containers' total size
	// above which a container is chosen by size.
	SizeThresholdPercent float64 `json:"size_threshold_percent"`
	// GrowingSizePercentile is the percentile of sizes a container must
	// reach to be chosen by growth.
	GrowingSizePercentile float64 `json:"growing_size_percentile"`
	// MinGrowthBytesPerSecond is the growth a container must exceed to
	// be chosen by growth.
	MinGrowthBytesPerSecond float64 `json:"min_growth_bytes_per_second"`
	// Victims is how many containers a round chooses at most.
	Victims int `json:"victims"`
	// Cooldown is how long the policy decides nothing after a round
	// that decided something.
	Cooldown duration.Value `json:"cooldown"`
	// Action is what each decision asks for.
	Action policy.Action `json:"action"`

	// lastDecided is the Time of the last round that decided something.
	// A configuration the agent applies is a copy of the defaults and
	// keeps it: the kill it stands for happened whatever the settings.
	lastDecided time.Time
	// last is the memory pressure at the last round that was not a dry
	// run or a replay, for the recent figures.
	last *reading
}

var (
	_ policy.Validator = (*Policy)(nil)
	_ policy.Describer = (*Policy)(nil)
)

// Defaults kill one container when memory some avg10 is above 10 % (a
// tenth of the time, some task waits on reclaim), ranked with oomd's
// documented defaults (size_threshold 50, growing_size_percentile 80)
// and followed by its post_action_delay of 15 s. The binary serves it.
func Defaults() *Policy {
	return &Policy{Figure: "some_avg10", Size: "usage", ThresholdPercent: 10, SizeThresholdPercent: 50, GrowingSizePercentile: 80,
		Victims: 1, Cooldown: duration.Value(15 * time.Second), Action: policy.Kill}
}

// Validate refuses an unknown figure, percentages outside 0..100, a
// negative or NaN growth, fewer than one victim, a negative cooldown and
// an unknown action.
func (p *Policy) Validate() error {
	for _, err := range []error{
		configcheck.OneOf("figure", p.Figure, figureNames()...),
		configcheck.OneOf("size", p.Size, "usage", "working_set"),
		configcheck.Percent("threshold_percent", p.ThresholdPercent),
		configcheck.Percent("size_threshold_percent", p.SizeThresholdPercent),
		configcheck.Percent("growing_size_percentile", p.GrowingSizePercentile),
		configcheck.Duration("cooldown", time.Duration(p.Cooldown)),
		configcheck.Action("action", p.Action),
	} {
		if err != nil {
			return err
		}
	}
	if math.IsNaN(p.MinGrowthBytesPerSecond) || p.MinGrowthBytesPerSecond < 0 {
		return fmt.Errorf("min_growth_bytes_per_second %v: want 0 or more", p.MinGrowthBytesPerSecond)
	}
	if p.Victims < 1 {
		return fmt.Errorf("victims %d: want 1 or more", p.Victims)
	}
	return nil
}

// Description says what the policy does.
func (p *Policy) Description() string {
	return "oomd-style: under memory pressure (PSI), kills the container holding most of the memory, else the fastest-growing big one"
}
