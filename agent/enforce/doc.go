// Package enforce is the only part of kwarden that stops, kills or
// removes a container. A policy's decisions are advice; Enforcer.Apply
// checks each against the protections, the rate limits and dry-run, acts
// on the ones that pass through the Docker API, and reports an Outcome
// for every decision, the refused ones included, for the audit log.
//
// What is never acted on, whatever a policy says:
//   - anything that is not a running container of the round's snapshot
//     (a process, a stopped container, an id that does not exist);
//   - a container labelled kwarden.protect=true;
//   - a container the configuration protects by name or id (the agent's
//     own, Grafana, the log sink);
//   - a container already being acted on.
//
// Actions run in their own goroutines, so a 10 s stop timeout never
// delays a tick; their outcomes arrive when they finish.
package enforce
