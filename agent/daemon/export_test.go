package daemon

// Test access to the daemon's internals.

func (d *Daemon) oracleLen() int { return d.oracle.len() }

func (d *Daemon) pendingLen() int {
	d.exitMu.Lock()
	defer d.exitMu.Unlock()
	return len(d.pending)
}
