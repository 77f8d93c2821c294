// Package threshold acts on sustained use above a limit, with the
// semantics of kubelet's soft eviction thresholds: a container is acted
// on only after being above a limit for a grace period, a signal that
// dips below must stay below for a transition period before its time
// above is forgotten, and a machine-wide memory limit chooses victims
// until a minimum reclaim is projected.
//
// # Limits and signals
//
// Per container, each of them off at 0:
//
//   - cpu_percent: CPU in % of one core (the snapshot's CPUPercent, over
//     the last tick), so 150 is one and a half cores;
//   - working_set_bytes: the memory cgroup's working set (usage less
//     inactive file pages: what kubelet's memory signal counts);
//   - ram_percent: RSS ÷ the machine's memory.
//
// For the machine, off at 0: machine_memory_percent, used memory (total
// less MemAvailable, the snapshot's MemUsedBytes) ÷ total. A signal is
// above its limit when strictly greater.
//
// # Timers: grace and transition
//
// The policy is one long-lived process, so it keeps a timer per
// container and signal (and one for the machine), keyed by container id
// and forgotten as soon as the container is not in a round's snapshot
// (gone, or protected). Time is the snapshot's Time, never the clock the
// plugin runs on, so a round is decided by what the agent saw and when.
//
// An episode begins at the first round a signal is above its limit. The
// signal is "sustained" in a round where it is above its limit and the
// episode began at least grace ago (grace 0: the first round above). A
// round below the limit does not end the episode by itself: the episode
// ends at the first round below that comes transition or more after the
// first round of that dip (a round above starts the dip over;
// transition 0: the first round below ends it). A signal that flaps
// around its limit thus keeps one episode, and when it is above again
// its time above counts from the episode's start; it is never acted on
// in a round where it is below. A container with any sustained signal
// is a victim; its reason names each sustained limit, the figure, the
// overshoot and how long the episode has lasted.
//
// A round triggered as a dry run or a replay of the history is decided
// on a copy of the timers, so that neither moves the live ones. A
// configuration applied by the agent starts with no timers (an episode
// measured against other limits says nothing about the new ones), and so
// does a plugin the agent restarted.
//
// # Minimum reclaim, for the machine's limit
//
// When the machine's memory has been sustained above its limit, the
// policy projects the use after its victims go: used memory less the
// working set of each container it has chosen this round (those over
// their own limits first). While the projection is not below the limit
// less minimum_reclaim_bytes, it chooses the largest working set left
// (unprotected, not yet chosen, not empty), one at a time. A minimum
// reclaim thus buys room below the limit, so that the next round is not
// back above it at once.
//
// # Ranking
//
// Victims of the container limits come first, the one furthest above a
// limit first, measured as its figure ÷ the limit (the largest over its
// sustained signals), ties by id; then the machine limit's victims,
// largest working set first, in the order they were chosen.
//
// # Where this differs from kubelet
//
//   - kubelet's transition period holds the node's pressure condition
//     (and so the refusal of new pods), while its grace timer restarts at
//     the first observation below the threshold. Here the transition
//     period holds the episode, which is what stops a container that
//     flaps around its limit from escaping its grace period forever.
//   - kubelet also uses the minimum reclaim as hysteresis, keeping a
//     threshold met until the signal is below threshold less minimum
//     reclaim. Here the signal is compared with the limit alone; the
//     transition period is the anti-flap, and the minimum reclaim is
//     applied only to how many victims are chosen.
//   - kubelet evicts one pod per round and ranks pods by usage above
//     their requests and their priority. Containers have no requests, so
//     the machine's victims are ranked by working set, and as many as the
//     projection needs are chosen in one round; the agent's rate limits
//     decide how many are acted on.
//   - minimum reclaim has no meaning for a container's own limit: its
//     victim is the whole container.
//
// The configuration, decoded over Defaults:
//
//	{"cpu_percent": 90, "working_set_bytes": 0, "ram_percent": 25,
//	 "machine_memory_percent": 0, "minimum_reclaim_bytes": 0,
//	 "grace": "1m", "transition": "5m", "action": "stop"}
//
// Durations take days and weeks (internal/duration). At least one limit
// must be on, and minimum_reclaim_bytes needs machine_memory_percent.
package threshold
