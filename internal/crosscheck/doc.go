// Package crosscheck compares two independent kernel views of the processes
// on one machine (the kwarden module's /proc/kwarden/processes and the eBPF
// task iterator) and reports where they disagree by more than the kernel
// lets two honest reads disagree.
//
// Both views compute the same counters the same way, but they read at
// different, possibly overlapping, times and neither read is atomic. A
// difference is therefore a discrepancy only when no legitimate kernel
// activity between the two reads can explain it. Compare applies the
// tolerance model of docs/crosscheck.md: processes present in only one view
// are churn when their start or exit explains the absence and Missing
// otherwise; fields of a process present in both are checked by rules that
// depend on whether the process ran between the reads, on the order of the
// reads, and on how long they took.
//
// Compare is a pure function of its arguments. It does no I/O, never
// modifies the views, calls the Options oracles only from the calling
// goroutine, and is safe to call concurrently. Its Result is plain data
// with JSON tags and a deterministic order, meant to be stored and served.
package crosscheck
