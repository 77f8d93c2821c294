// Command kwarden-policy-threshold is kwarden's built-in kill policy
// "threshold": sustained use above a CPU or memory limit, with kubelet's
// grace, transition and minimum reclaim. The decisions are package
// agent/policies/threshold's; this binary only serves them to kwardend.
package main

import (
	"github.com/kwarden/kwarden/agent/policies/threshold"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/version"
)

func main() { policy.Serve(threshold.Name, version.Version, threshold.Defaults()) }
