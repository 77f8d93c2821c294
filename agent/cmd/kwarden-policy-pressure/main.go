// Command kwarden-policy-pressure is kwarden's built-in kill policy
// "pressure": under memory pressure (PSI), oomd's choice: the container
// holding most of the memory, else the fastest-growing big one. The
// decisions are package agent/policies/pressure's; this binary only
// serves them to kwardend.
package main

import (
	"github.com/kwarden/kwarden/agent/policies/pressure"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/version"
)

func main() { policy.Serve(pressure.Name, version.Version, pressure.Defaults()) }
