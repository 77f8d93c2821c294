// Package newestperkind is the course's rule A, "newest per kind": of
// the running containers of each kind (the kwarden.kind label: cpu, ram,
// io, disk, low), keep the newest and ask for the rest to go.
//
// The newest is the one created last (Created; on a tie, the greater id,
// so that every round picks the same one). Every other container of that
// kind is a victim, the oldest first: it has outstayed its newer sibling
// the longest, and the agent, which may act on only the first few
// decisions of a round, should spend its budget there.
//
// Containers without a kind are not the rule's business in the course
// (its manager only ever saw labelled workload containers), so by
// default they are left alone. "unkinded": "newest" treats them as one
// more kind (the newest of them stays), "unkinded": "act" asks for every
// one of them to go.
//
// Protected containers are left out before anything else: they are never
// victims and never count as the newest of their kind, as the course's
// log sink and Grafana were outside the rule. The agent refuses to act on
// them anyway; leaving them out keeps the decisions honest.
//
// The configuration, decoded over Defaults:
//
//	{"action": "remove", "unkinded": "leave"}
//
// action is stop, kill or remove (the course removed); unkinded is leave,
// newest or act. The policy keeps no state between rounds.
package newestperkind
