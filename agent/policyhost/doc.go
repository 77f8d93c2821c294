// Package policyhost runs kill-policy plugins for kwardend: it finds them
// in a catalogue, refuses any whose directory others can write or whose
// SHA-256 differs from the catalogue's, starts them as go-plugin
// subprocesses, swaps the active one between rounds, and restarts one
// that crashed or hung, with backoff.
//
// A round's decisions are advice: the enforcer (package enforce) decides
// what is done. While no policy answers, a round has no decisions, so
// nothing is killed.
package policyhost
