// Package kmodtest runs the kwarden kernel module in real Debian kernels
// booted under qemu. It builds the module against each kernel's headers,
// builds the static guest programs (guest/ in Go, spawn/ in C), boots one
// VM per scenario with package vmtest, and returns the scenario's records.
//
// The tests in this package judge the records; cmd/kmodbench uses the
// same path for the benchmarks.
package kmodtest
