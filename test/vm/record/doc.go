// Package record is the guest-side half of package vm: a program that
// runs inside a test/vm virtual machine imports it to report structured
// results (records) back to the host test.
//
// The guest's standard output is the VM's serial console. Emit writes one
// line of the form
//
//	KWTEST-RECORD <name> <single-line JSON>
//
// which vm.Run collects, in order, into Result.Records.
//
// The package has no dependencies beyond the standard library so that it
// can be linked into small static guest binaries (CGO_ENABLED=0).
package record
