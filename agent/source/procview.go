package source

import (
	"time"

	"github.com/kwarden/kwarden/internal/procview"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// ProcView is the third view: the kernel views' processes against what
// /proc shows (internal/procview). A check is a directory read, one
// faccessat per process and the mount table: cheap enough for every
// tick, and timed like every other read.
type ProcView struct {
	*Meter
	c *procview.Checker
}

// OpenProcView opens the /proc at root ("" for /proc) to compare with.
func OpenProcView(root string) (*ProcView, error) {
	c, err := procview.New(procview.Options{Root: root})
	if err != nil {
		return nil, err
	}
	return &ProcView{Meter: newMeter("procview"), c: c}, nil
}

// Check compares the views' reads, taken before, with /proc now;
// exited reports the processes the exit stream saw exit.
func (p *ProcView) Check(exited func(snapshot.Key) bool, views ...procview.View) (procview.Result, error) {
	start := time.Now()
	r, err := p.c.Check(exited, views...)
	return r, p.observe(start, err)
}

// Close releases the /proc directory.
func (p *ProcView) Close() error { return p.c.Close() }
