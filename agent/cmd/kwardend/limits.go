package main

import (
	"fmt"
	"syscall"
)

// fileLimit returns the soft and hard RLIMIT_NOFILE. kwardend does not
// raise the soft limit itself: Go's runtime already does so at start
// for the whole process (package syscall's init, since Go 1.19; Go
// 1.26 sets it to the hard limit minus one, so that a later change made
// with prlimit from outside shows), and restores the original limit in
// the processes it starts. kwardend reads both, to size its connection
// cap and to log them.
func fileLimit() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, fmt.Errorf("get RLIMIT_NOFILE: %w", err)
	}
	return l.Cur, l.Max, nil
}

// maxConnsCeiling bounds the default connection cap: far more than an
// agent's API has clients (a Prometheus, a Grafana, a few kwardenctl).
const maxConnsCeiling = 1024

// defaultMaxConns is the connection cap when none is set: half the soft
// file limit, so that the other half stays for the daemon's own
// descriptors (the history, the kernel views' files and eBPF maps,
// Docker's socket, /proc reads), and at most maxConnsCeiling.
func defaultMaxConns(soft uint64) int {
	n := min(soft/2, maxConnsCeiling)
	return int(max(n, 1))
}
