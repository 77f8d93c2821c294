// Package store is kwardend's history: system series, per-container
// series, top processes and events, in one embedded bbolt file.
//
// Why bbolt: it is pure Go (the daemon stays one static binary), every
// committed transaction is fsynced and the file is copy-on-write with
// two alternating meta pages, so a SIGKILL or a power cut loses at most
// the transaction in flight and never needs a recovery pass; the queries
// the API needs are time-range scans, which big-endian time keys make
// plain cursor walks. SQLite (modernc.org/sqlite, also pure Go) would
// bring SQL at ten times the code and build time, for queries we do not
// need.
//
// Layout: one bucket per kind of record, keyed by the sample's wall time
// in ns, big-endian, so cursors walk in time order. Container points are
// the bulk (200 containers at 1 s are 17 million a day), so they are
// binary, not JSON: one frame per tick holds every container's point
// under a small per-container index (frame.go), which keeps a tick's
// transaction to a few pages; minute points sit in a bucket per
// container. The rest is JSON, readable with bbolt's own tools. The
// schema is versioned in the meta bucket and migrated on Open.
//
// Events are keyed by time and a sequence number, and listed again by
// that number alone, which is the order they were recorded in and not
// that of their times: a follower of the history (agent/webhook) reads
// that list with Tail and keeps its position with PutCursor, in the
// meta bucket (tail.go, cursor.go).
//
// Retention: raw points older than RawRetention are folded into one point
// per minute (gauges averaged, counters last), and everything older than
// Retention is deleted, by Prune.
package store
