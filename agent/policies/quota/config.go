package quota

import (
	"errors"

	"github.com/kwarden/kwarden/agent/policies/internal/configcheck"
	"github.com/kwarden/kwarden/agent/policy"
)

// Name is the policy's name: its binary is kwarden-policy-quota.
const Name = "quota"

// Where classes come from.
const (
	// SourceAgent is the snapshot's Class: the agent's sampler.
	SourceAgent = "agent"
	// SourceMeasured is the policy's own CPU % and RAM % thresholds.
	SourceMeasured = "measured"
	// SourceKind is the kwarden.kind label.
	SourceKind = "kind"
)

// What happens to containers without a kind.
const (
	// UnkindedLeave leaves them alone: they are no workload.
	UnkindedLeave = "leave"
	// UnkindedRank classifies and ranks them with the others.
	UnkindedRank = "rank"
)

// The classes, as the agent names them.
const (
	High = "high"
	Low  = "low"
)

// Policy is the policy and its configuration.
type Policy struct {
	// High and Low are how many of each class are kept.
	High int `json:"high"`
	Low  int `json:"low"`
	// ClassSource is SourceAgent, SourceMeasured or SourceKind.
	ClassSource string `json:"class_source"`
	// CPUPercent and RAMPercent are SourceMeasured's thresholds: high
	// when either is exceeded.
	CPUPercent float64 `json:"cpu_percent"`
	RAMPercent float64 `json:"ram_percent"`
	// IOClass and DiskClass are the classes SourceKind gives the io and
	// disk kinds, High or Low.
	IOClass   string `json:"io_class"`
	DiskClass string `json:"disk_class"`
	// Unkinded is UnkindedLeave or UnkindedRank.
	Unkinded string `json:"unkinded"`
	// Action is what each decision asks for.
	Action policy.Action `json:"action"`
}

var (
	_ policy.Validator = (*Policy)(nil)
	_ policy.Describer = (*Policy)(nil)
)

// Defaults is the course's rule B with the agent's classes: keep 2 high
// and 3 low, remove the rest. The measured thresholds default to the
// first cohort's 1.3 % and 2.0 %, io and disk count as high, and
// containers without a kind are left alone. The binary serves it.
func Defaults() *Policy {
	return &Policy{High: 2, Low: 3, ClassSource: SourceAgent, CPUPercent: 1.3, RAMPercent: 2.0,
		IOClass: High, DiskClass: High, Unkinded: UnkindedLeave, Action: policy.Remove}
}

// Validate refuses negative quotas, an unknown class source or class,
// thresholds that are not percentages, an unknown unkinded setting (and
// "rank" with classes from the kind, which can rank no container without
// one), and an unknown action.
func (p *Policy) Validate() error {
	for _, err := range []error{
		configcheck.Count("high", p.High),
		configcheck.Count("low", p.Low),
		configcheck.OneOf("class_source", p.ClassSource, SourceAgent, SourceMeasured, SourceKind),
		configcheck.Percent("cpu_percent", p.CPUPercent),
		configcheck.Percent("ram_percent", p.RAMPercent),
		configcheck.OneOf("io_class", p.IOClass, High, Low),
		configcheck.OneOf("disk_class", p.DiskClass, High, Low),
		configcheck.OneOf("unkinded", p.Unkinded, UnkindedLeave, UnkindedRank),
		configcheck.Action("action", p.Action),
	} {
		if err != nil {
			return err
		}
	}
	if p.Unkinded == UnkindedRank && p.ClassSource == SourceKind {
		return errors.New(`unkinded "rank" with class_source "kind": a container without a kind has no class to rank it in`)
	}
	return nil
}

// Description says what the policy does.
func (p *Policy) Description() string {
	return "course rule B: keeps the N heaviest high and M heaviest low containers (by CPU %, RAM %, RSS, VSZ) and asks for the rest to go"
}
