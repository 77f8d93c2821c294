// Package client is a Go client of kwardend's HTTP API: the agent's
// address and token, a timeout on every call, one typed method per
// route (answers are agent/apiv1's types), and the live stream.
//
// It is what kwardenctl, the policy host's tooling and the Grafana
// backend use, and it imports nothing but the standard library and
// agent/apiv1: a program that talks to the agent links none of the
// agent.
package client
