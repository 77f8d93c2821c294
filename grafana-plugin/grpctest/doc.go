// Package grpctest holds the plugin's process-level tests: they build
// the real plugin binary, launch it with go-plugin as Grafana does
// (protocol version 2, magic cookie grafana_plugin_type=datasource) and
// call its gRPC services (Data, Diagnostics, Resource, Stream) against
// real kwardend agents watching real containers of the course's
// workload generator. Nothing of the agent is mocked.
//
// The rig needs root, a Docker engine (Debian's dockerd, started
// privately by test/dockertest) and the eBPF view; where one is missing
// the tests skip on a developer's machine and fail in CI (CI=true).
package grpctest
