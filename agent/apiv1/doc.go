// Package apiv1 holds the wire types of kwardend's HTTP API under
// /api/v1: what every answer, the stream and the health check carry,
// field by field, and the table of routes.
//
// It is the one package that the daemon and its clients (kwardenctl,
// the policy host's tooling, the Grafana backend) share, so it imports
// nothing but the standard library: a client that links it links no
// eBPF, no database and no Docker client. The daemon's own packages
// use these types as their data (agent/store's points, agent/containers'
// descriptions, agent/sample's figures are aliases of them), so what is
// stored, served and decoded is one definition.
//
// docs/api.md's tables of types and routes and docs/api.schema.json are
// generated from this package (go test -run TestAPIDocs -update); a test
// fails when either drifts from the code.
package apiv1
