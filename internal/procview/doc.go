// Package procview is the third view: what /proc shows, against what
// the kernel views (the module and eBPF, which walk the kernel's own
// task list) list.
//
// A process can vanish from /proc while it runs. An empty directory
// bind-mounted over /proc/<pid> takes it out of ps, top and every
// procfs walker (kwarden's own included), and needs no privilege beyond
// mounting; a kernel rootkit that filters /proc's directory listing does
// the same to every tool. The kernel views still list it, since they
// read the task list, not /proc. unhide compares the two once, as a
// command; a Checker compares them every time it is asked, cheaply: one
// read of the /proc directory, one faccessat of /proc/<pid>/stat per
// process the kernel views list, and one read of /proc/self/mountinfo.
// Only a pid with a mount over its directory has its stat file read, to
// see whether it still names the same process.
//
// A process the kernel listed and /proc does not show (absent from the
// listing, or listed with no readable stat file, or with one that names
// another process) is a candidate. A candidate that exited in between
// (the exit stream, or the pid gone from the kernel) is churn, never a
// finding; one that stays a candidate for Confirm checks in a row is
// hidden, reported with its evidence: which views listed it, what /proc
// showed, and the mounts over its directory.
//
// Every path is a setting, so that tests can serve a /proc view that
// lacks a pid (a listing filter, simulated) as well as mask a real one.
package procview
