// Command kwarden-policy-newest-per-kind is kwarden's built-in kill
// policy "newest-per-kind": the course's rule A: the newest container of
// each kind stays, the others go. The decisions are package
// agent/policies/newestperkind's; this binary only serves them to
// kwardend.
package main

import (
	"github.com/kwarden/kwarden/agent/policies/newestperkind"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/internal/version"
)

func main() { policy.Serve(newestperkind.Name, version.Version, newestperkind.Defaults()) }
