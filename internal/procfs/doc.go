// Package procfs reads per-process figures the classic way, one process
// directory and several text files at a time, as gopsutil and
// prometheus/procfs do.
//
// It is kwarden's baseline twice over: the benchmarks compare the kernel
// views against it, and the module's ground-truth tests compare the
// module's figures with the files it reads. Parsers take bytes and never
// touch the file system; Walker adds the I/O.
package procfs
