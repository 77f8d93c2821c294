// Package plugin is the kwarden datasource's backend: it answers
// Grafana's queries, health checks, resource calls and live streams by
// asking kwardend agents over their HTTP API (agent/client), several
// agents per datasource.
//
// The shape is Grafana's example datasource: Datasource opens with
// compile-time assertions of the SDK interfaces it serves, queries are
// routed by type with the SDK's QueryTypeMux, and a query that fails is
// an in-band error under its RefID, never a Go error that would fail the
// whole request. An agent that does not answer fails only its own part:
// the other agents' frames still come back, and a frame named after the
// failed agent carries the error as a notice.
//
// One concept per file: agents.go (the agent set and the fan-out),
// query.go (the range and step of a query, the per-query runner),
// frames.go (frame helpers), one file per query type, health.go,
// resources.go, stream.go.
package plugin
