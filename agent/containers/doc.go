// Package containers is kwardend's Docker view: which containers exist,
// what they are (name, image, labels, kind, age, state) and which cgroup
// each one's processes are in, so that the kernel views' per-process
// figures can be summed per container.
//
// A Watcher keeps that view current from the Docker Engine API: a full
// list and inspect when it connects, then the events stream, so a
// container that starts or stops between two samples is still seen. When
// dockerd goes away the Watcher reports the outage, keeps the last view,
// and reconnects with backoff; it never needs a restart of its own.
package containers
