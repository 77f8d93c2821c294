// Package policy is the kill-policy protocol that kwardend and its policy
// plugins share, and the SDK a policy is written with.
//
// A policy is a separate program run by kwardend as a hashicorp/go-plugin
// subprocess, spoken to over gRPC (the messages are in proto/). Each
// decision round the agent sends a Snapshot of the running containers
// and the machine; the policy answers ranked Decisions. The policy only
// advises: kwardend alone acts, and refuses what its protections, rate
// limits and dry-run forbid.
//
// A third-party policy is one short main package:
//
//	type keepOldest struct{ Keep int `json:"keep"` }
//
//	func (k *keepOldest) Decide(ctx context.Context, s *policy.Snapshot) ([]policy.Decision, error) {
//		...
//	}
//
//	func main() { policy.Serve("keep-oldest", "1.0.0", &keepOldest{Keep: 3}) }
//
// Serve decodes the operator's JSON configuration into the value it is
// given (unknown fields are refused), calls Validate if the value has
// one, and calls Decide one round at a time. The host's deadline reaches
// Decide through ctx. DecodeConfig is that decoding on its own, so a
// policy's tests and shipped configuration files can be checked against
// exactly what the plugin will accept.
//
// The package is a leaf: the daemon, the plugins and kwardenctl import
// it, and it imports nothing of theirs.
package policy
