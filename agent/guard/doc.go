// Package guard is kwardend's policy loop: after each tick, and at once
// when memory pressure or an OOM kill calls for it, it builds a
// policy.Snapshot from the daemon's state, asks the active policy
// (policyhost) for decisions, hands them to the enforcer and writes an
// audit event for every outcome into the history.
//
// It runs beside the tick loop, never in it: the daemon hands it each
// state without waiting (the latest replaces one not yet taken), so a
// slow or hung policy delays no tick.
package guard
