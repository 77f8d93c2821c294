// Package kmodvm runs the kwarden kernel module in real Debian kernels
// booted under qemu. It builds the module against each kernel's headers,
// builds the static guest programs (scenarios/ in Go, taskfarm/ in C), boots one
// VM per scenario with package vm, and returns the scenario's records.
//
// The tests in this package judge the records; test/cmd/kmodbench and
// test/cmd/kmoddemo use the same path for the benchmarks and the demo.
package kmodvm
