// Package psi reads the kernel's pressure stall information (PSI) and
// arms its pressure triggers (Documentation/accounting/psi.rst).
//
// The figures say how much of the time tasks could not run because they
// waited for memory, a CPU or I/O: machine-wide in /proc/pressure/{memory,
// cpu,io}, per cgroup v2 in its *.pressure files, both in one format.
// ParseResource parses one file from bytes (fixtures, fuzzing); Reader
// keeps the three files open and re-reads them once per tick.
//
// A Trigger lets the agent react between ticks: the kernel itself
// watches the stall time within a window, and Trigger.Wait returns as
// soon as it crosses the threshold, so that a decision round can start
// at once instead of at the next tick. Without CAP_SYS_RESOURCE, which
// root in a container can lack (the build machine's does), windows are
// multiples of 2 s and the kernel evaluates them every 2 s; it also
// raises false events in such a trigger's first windows, which Wait
// passes over (sinceboot.go).
//
// A kernel without PSI (built without CONFIG_PSI, or booted with psi=0;
// one built with CONFIG_PSI_DEFAULT_DISABLED needs psi=1) gives errors
// that wrap ErrUnsupported, which callers turn into "no pressure
// figures".
package psi
