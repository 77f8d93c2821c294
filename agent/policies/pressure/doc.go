// Package pressure acts when the machine's memory is under pressure, as
// oomd's kill_by_memory_size_or_growth plugin does: when a memory PSI
// figure (default: some avg10) is above a threshold (default 10 %), it
// picks the container most responsible, first by size, then by growth.
//
// # Ranking
//
// A container's size is its memory cgroup's usage, page cache included,
// as oomd counts memory.current (less memory.low, which containers do
// not set). size "working_set" counts usage less inactive file pages
// instead, which reclaim takes first; but a container that thrashes its
// page cache in its memory limit, the cause of much memory stall, keeps
// those very pages on the inactive list, and its working set is small:
// usage names it, working set names whoever holds the most anonymous
// memory. The total is the sum of the sizes of the unprotected
// containers.
//
//  1. Containers larger than size_threshold_percent (default 50, oomd's
//     size_threshold) of the total, largest first. At 50 % there is at
//     most one: a container that holds most of the memory is the cause.
//  2. Otherwise, the fastest growers (the size's growth, bytes a second
//     over the agent's window, above min_growth_bytes_per_second; oomd
//     compares a ratio of current to average size instead) among the
//     biggest by size: those at or above the growing_size_percentile-th
//     percentile of sizes (default 80, oomd's; nearest rank, so with 10
//     containers the top 3, and at 0 every one). A small container that
//     grows fast is not what stalls the machine; a big one that grows is.
//
// The first victims of that list, one by default ("victims"), are the
// round's decisions. A container in neither group is no candidate: when
// nothing is big and nothing big grows, the policy decides nothing, as
// oomd kills nothing (the pressure has another cause: the agent's other
// rules, or the operator, must act). Protected containers are never
// counted, in the total or as victims.
//
// # Pressure, and a pause after acting
//
// Nothing is decided while the figure is at or below the threshold, nor
// when the snapshot has no PSI (Pressure is nil: a kernel without
// CONFIG_PSI, or booted with psi=0). That is no error: the policy has
// nothing to act on, and an error would only make the agent report a
// failing policy on every round of such a machine.
//
// After a round that decided something, the policy decides nothing for
// cooldown (default 15 s, oomd's post_action_delay), by the snapshots'
// Time: PSI averages lag the relief a kill brings (avg10 needs some 10 s
// to fall), and without a pause a pressure-triggered round arriving just
// after would pick a second victim for pressure the first one already
// relieved. A dry-run or replayed round honours a pause in progress but
// never starts one, since nothing it decides is acted on.
//
// The configuration, decoded over Defaults:
//
//	{"figure": "some_avg10", "size": "usage", "threshold_percent": 10,
//	 "size_threshold_percent": 50, "growing_size_percentile": 80,
//	 "min_growth_bytes_per_second": 0, "victims": 1,
//	 "cooldown": "15s", "action": "kill"}
//
// figure is some_ or full_ with avg10, avg60 or avg300, the kernel's
// averages, or with recent: the share of the time since the policy's
// previous round that tasks were stalled, from the kernel's stall
// counters (no figure at the first round). The averages lag: the kernel
// updates them every 2 s and avg10 takes some 10 s to follow a change,
// so a round that the agent's PSI trigger starts a moment after the
// stall began can find avg10 still low. some_recent sees that stall at
// once; set threshold_percent to the trigger's stall ÷ window (10 % for
// kwardend's default 200 ms in 2 s) to act on the first such round. The
// action is kill: under memory pressure a stop's timeout only prolongs
// the stall.
package pressure
