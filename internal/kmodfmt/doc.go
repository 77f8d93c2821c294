// Package kmodfmt reads and parses the files that the kwarden kernel module
// publishes under /proc/kwarden (format: docs/proc-format.md, schema 1).
//
// Parsing is kept apart from reading: the Parse* functions take bytes and
// never touch the file system, so they run on fixtures and under the fuzzer;
// Reader only adds the I/O. Malformed input of any kind returns an error
// that says where parsing stopped; it never panics.
//
// The process view is parsed by a hand-written decoder specialised to the
// record shape, because it is read every tick and is the large file: at
// 10,000 processes it is several megabytes. The small files use
// encoding/json.
package kmodfmt
