// Command kwarden-policy-quota is kwarden's built-in kill policy
// "quota": the course's rule B: the N heaviest high and M heaviest low
// containers stay, the others go. The decisions are package
// agent/policies/quota's; this binary only serves them to kwardend.
package main

import (
	"github.com/kwarden/kwarden/agent/policies/quota"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/version"
)

func main() { policy.Serve(quota.Name, version.Version, quota.Defaults()) }
