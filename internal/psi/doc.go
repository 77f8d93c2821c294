// Package psi reads the kernel's pressure stall information (PSI)
// (Documentation/accounting/psi.rst).
//
// The figures say how much of the time tasks could not run because they
// waited for memory, a CPU or I/O: machine-wide in /proc/pressure/{memory,
// cpu,io}, per cgroup v2 in its *.pressure files, both in one format.
// ParseResource parses one file from bytes (fixtures, fuzzing); Reader
// keeps the three files open and re-reads them once per tick.
//
// A kernel without PSI (built without CONFIG_PSI, or booted with psi=0;
// one built with CONFIG_PSI_DEFAULT_DISABLED needs psi=1) gives errors
// that wrap ErrUnsupported, which callers turn into "no pressure
// figures".
package psi
