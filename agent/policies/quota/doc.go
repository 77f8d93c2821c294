// Package quota is the course's rule B, "quota": always keep N
// high-consumption and M low-consumption containers (the course: 2 and
// 3) and ask for the rest to be stopped and removed.
//
// # Classes
//
// A container's class comes from one of three sources, as the cohorts
// differed:
//
//   - "agent": the snapshot's Class, the agent's own sampler with its
//     thresholds (kwardend's settings);
//   - "measured": high when CPU % > cpu_percent or RAM % > ram_percent,
//     the policy's own thresholds (one cohort used 1.3 and 2.0, another 20
//     and 20);
//   - "kind": from the kwarden.kind label: cpu and ram are high, low is
//     low, io and disk are io_class and disk_class (high unless set).
//
// A container without a kind is no workload of the course's generator,
// and the course's rules never kill "anything that is not a workload
// container": by default ("unkinded": "leave") it is left alone whatever
// its figures, even when the agent does not protect it; "unkinded":
// "rank" classifies and ranks it with the others.
//
// A container with no class is left alone: under "agent" and "measured",
// one the agent has no rate for yet (its Class is "" until its second
// sample; its CPU % of 0 is no measurement, and a fresh cpu container
// would otherwise be removed as a surplus "low" one); under "kind", one
// with a kind outside the five. Protected containers are left out
// entirely: never victims and never counted in a quota, as the course's
// log sink and Grafana were no workload.
//
// # Ranking, and which ones are kept
//
// Within each class, containers are ranked as the course ranked them:
// by CPU %, then RAM %, then RSS, then VSZ, each descending (then the
// older first and, last, by id, so equal figures rank the same way every
// round). The first N of the high class and the first M of the low class
// are kept: the heaviest of each class.
//
// The course's rule gives the quota and the ranking but not which end of
// the ranking stays. This package reads the ranking as an order of
// preference, the way a list sorted largest first is read: its head is
// kept and what comes after the quota goes. That is also the reading
// that keeps each class meaningful: the "high" pair are the two most
// clearly high, not two that barely crossed a threshold, and the lab's
// graphs keep showing the load the generator meant to create. (Killing
// the heaviest is what the threshold and pressure policies are for.)
//
// The victims are the rest of both classes, ranked by the same order
// across classes (the most consuming surplus container first), so that
// an agent which acts on only the first decisions of a round frees the
// most first. Each reason names the class, the rank within it and the
// figures it was ranked by.
//
// The configuration, decoded over Defaults:
//
//	{"high": 2, "low": 3, "class_source": "agent",
//	 "cpu_percent": 1.3, "ram_percent": 2.0,
//	 "io_class": "high", "disk_class": "high", "unkinded": "leave",
//	 "action": "remove"}
//
// cpu_percent and ram_percent are read by "measured" only; io_class and
// disk_class by "kind" only. CPU % is of one core (the snapshot's
// CPUPercent, last tick), RAM % is RSS ÷ the machine's memory. The
// policy keeps no state between rounds.
package quota
