// Package source holds every read the daemon makes each tick, one
// source each, in the manner of node_exporter's collectors: the
// constructor does the setup (opens files, loads programs, connects),
// the read only reads, and every read is timed and its outcome counted
// by the source's Meter. The daemon asks the Set for every source's
// status, and reaches into none of them.
//
// The sources: the kernel module's view (kmod) and eBPF's (ebpf) of
// every process; the eBPF exit stream (exits); the machine's figures
// from /proc (procfs); the containers' memory cgroup files (cgroups);
// Docker's view of the containers (docker). A source that cannot be
// opened is reported unavailable, one whose read fails is failing; the
// daemon ticks on either way.
package source
