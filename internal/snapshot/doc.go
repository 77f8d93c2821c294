// Package snapshot holds the figures that every kernel view of the machine
// produces: the kwarden module's /proc files, the eBPF collector and the
// procfs walker all fill these types, so that the cross-check and the agent
// compare like with like.
//
// Units are fixed by the type, not by the source: times in nanoseconds,
// sizes in bytes. A source that cannot provide a field leaves it zero and
// says so in its own documentation.
package snapshot
