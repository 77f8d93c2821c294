package procview

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// Options configure a Checker. Zero values take the defaults.
type Options struct {
	// Root is the /proc compared with the kernel views; "" is /proc.
	Root string
	// MountInfo is the mount table searched for mounts over Root's pid
	// directories; "" is /proc/self/mountinfo.
	MountInfo string
	// Confirm is how many checks in a row a process must fail before it
	// is reported hidden; 0 means 2.
	Confirm int
	// Exists reports whether a pid is still in the kernel; nil is
	// kill(pid, 0), which a bind mount over /proc does not fool.
	Exists func(pid int32) bool
	// Now is the clock of Finding.Since; nil is time.Now.
	Now func() time.Time
}

// View is one kernel view's read of every process.
type View struct {
	Name      string
	Processes []snapshot.Process
}

// Finding is a process the kernel views list and /proc does not show,
// with its evidence.
type Finding struct {
	Key  snapshot.Key
	Comm string
	PPID int32
	UID  uint32
	// SeenBy names the kernel views that listed it.
	SeenBy []string
	// Listed is true when its pid is in /proc's directory listing.
	Listed bool
	// Stat says what /proc/<pid>/stat gave: an error ("no such file or
	// directory"), or the process it names instead.
	Stat string
	// Mounts are the mounts over its /proc directory or below it.
	Mounts []Mount
	// Since is the first check it failed; Checks counts the checks in a
	// row it has failed.
	Since  time.Time
	Checks int
}

// Reason says in words why it counts as hidden.
func (f *Finding) Reason() string {
	var parts []string
	if !f.Listed {
		parts = append(parts, "absent from the /proc listing")
	} else {
		parts = append(parts, "/proc/"+strconv.Itoa(int(f.Key.PID))+"/stat: "+f.Stat)
	}
	for _, m := range f.Mounts {
		parts = append(parts, fmt.Sprintf("%s mounted over %s (mount %d, %s from %s)", m.Root, m.MountPoint, m.ID, m.FSType, m.Source))
	}
	return strings.Join(parts, "; ")
}

// Result is one check.
type Result struct {
	// Listed counts the pids in /proc's listing.
	Listed int
	// Checked counts the processes the kernel views listed.
	Checked int
	// Candidates counts those /proc did not show, exits aside, that
	// have not failed Confirm checks yet.
	Candidates int
	// Churn counts those /proc did not show because they exited.
	Churn int
	// Hidden are the confirmed findings, by pid.
	Hidden []Finding
	// MountInfoErr says why the mount table could not be read (the
	// findings then lack their mounts); BadMountLines counts its lines
	// that did not parse.
	MountInfoErr  string
	BadMountLines int
}

// Checker compares the kernel views with /proc. Not safe for concurrent
// use: the daemon's tick calls it.
type Checker struct {
	opt   Options
	root  string
	dir   *os.File
	state map[snapshot.Key]*Finding
	// Scratch, kept between checks: the directory buffer, the listing,
	// the union of the views.
	dirBuf  []byte
	listing []int32
	union   map[snapshot.Key]int // key → index in procs
	procs   []entry
}

type entry struct {
	p      *snapshot.Process
	seenBy []string
}

// ErrOtherNamespace reports a /proc that shows another pid namespace
// than the kernel views (kwardend in a container): every process would
// look hidden.
var ErrOtherNamespace = errors.New("/proc shows a child pid namespace")

// New opens the /proc to compare with. It fails when Root cannot be
// read, or shows the pids of a namespace below the initial one.
func New(opt Options) (*Checker, error) {
	if opt.Root == "" {
		opt.Root = "/proc"
	}
	if opt.MountInfo == "" {
		opt.MountInfo = "/proc/self/mountinfo"
	}
	if opt.Confirm <= 0 {
		opt.Confirm = 2
	}
	if opt.Exists == nil {
		opt.Exists = func(pid int32) bool { return unix.Kill(int(pid), 0) != unix.ESRCH }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	root, err := filepath.Abs(opt.Root)
	if err != nil {
		return nil, fmt.Errorf("procview: %w", err)
	}
	if err := sameNamespace(root); err != nil {
		return nil, err
	}
	dir, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("procview: %w", err)
	}
	return &Checker{opt: opt, root: root, dir: dir, state: map[snapshot.Key]*Finding{}, union: map[snapshot.Key]int{},
		dirBuf: make([]byte, 64<<10)}, nil
}

// sameNamespace refuses a /proc whose NSpid for this process has more
// than one pid: it was mounted for a namespace below the one whose pids
// the kernel views report. A served view without self/status passes.
func sameNamespace(root string) error {
	b, err := os.ReadFile(filepath.Join(root, "self", "status"))
	if err != nil {
		return nil
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("NSpid:")); ok && len(bytes.Fields(rest)) > 1 {
			return fmt.Errorf("procview: %s: %w (NSpid %s): the third view is off", root, ErrOtherNamespace, bytes.TrimSpace(rest))
		}
	}
	return nil
}

// Close releases Root.
func (c *Checker) Close() error { return c.dir.Close() }

// Check compares the views' processes with /proc now. The views are
// reads taken before the call; a process that exited since (exited says
// so, from the exit stream; nil for none known, or the kernel no longer
// has its pid) is churn. It fails only when /proc's listing cannot be
// read.
func (c *Checker) Check(exited func(snapshot.Key) bool, views ...View) (Result, error) {
	var res Result
	listing, err := readListing(c.dir, c.dirBuf, c.listing)
	if err != nil {
		return res, err
	}
	c.listing = listing
	res.Listed = len(listing)
	var mounts map[int32][]Mount
	if b, err := os.ReadFile(c.opt.MountInfo); err != nil {
		res.MountInfoErr = err.Error()
	} else {
		mounts, res.BadMountLines = parseMountinfo(b, c.root)
	}
	c.unite(views)
	res.Checked = len(c.procs)
	now := c.opt.Now()
	failed := make(map[snapshot.Key]bool)
	for _, e := range c.procs {
		p := e.p
		key := snapshot.Key{PID: p.PID, StartTimeNs: p.StartTimeNs}
		_, listed := slices.BinarySearch(listing, p.PID)
		stat := ""
		switch {
		case !listed:
		case mounts[p.PID] != nil:
			stat = c.statNames(p) // a mount is there: does stat still tell the truth?
		default:
			stat = c.access(p.PID)
		}
		if listed && stat == "" {
			continue
		}
		if (exited != nil && exited(key)) || !c.opt.Exists(p.PID) {
			res.Churn++
			continue
		}
		failed[key] = true
		f := c.state[key]
		if f == nil {
			f = &Finding{Key: key, Since: now}
			c.state[key] = f
		}
		f.Comm, f.PPID, f.UID, f.SeenBy = p.Comm, p.PPID, p.UID, e.seenBy
		f.Listed, f.Stat, f.Mounts = listed, stat, mounts[p.PID]
		f.Checks++
		if f.Checks >= c.opt.Confirm {
			res.Hidden = append(res.Hidden, *f)
		} else {
			res.Candidates++
		}
	}
	for k := range c.state {
		if !failed[k] {
			delete(c.state, k) // shown again, or gone from the kernel views
		}
	}
	slices.SortFunc(res.Hidden, func(a, b Finding) int { return int(a.Key.PID) - int(b.Key.PID) })
	return res, nil
}

// unite lists each process the views hold once, with the views that
// listed it. One view is its own union: no map.
func (c *Checker) unite(views []View) {
	c.procs = c.procs[:0]
	if len(views) == 1 {
		seen := []string{views[0].Name}
		for i := range views[0].Processes {
			c.procs = append(c.procs, entry{p: &views[0].Processes[i], seenBy: seen})
		}
		return
	}
	clear(c.union)
	for _, v := range views {
		for i := range v.Processes {
			p := &v.Processes[i]
			key := snapshot.Key{PID: p.PID, StartTimeNs: p.StartTimeNs}
			if j, ok := c.union[key]; ok {
				c.procs[j].seenBy = append(c.procs[j].seenBy, v.Name)
				continue
			}
			c.union[key] = len(c.procs)
			c.procs = append(c.procs, entry{p: p, seenBy: []string{v.Name}})
		}
	}
}

// access is "" when /proc/<pid>/stat exists, else why not.
func (c *Checker) access(pid int32) string {
	if err := unix.Faccessat(int(c.dir.Fd()), strconv.Itoa(int(pid))+"/stat", unix.F_OK, 0); err != nil {
		return err.Error()
	}
	return ""
}

// statNames is "" when /proc/<pid>/stat names p (its pid, comm and start
// time), else what it names or why it cannot be read.
func (c *Checker) statNames(p *snapshot.Process) string {
	b, err := os.ReadFile(filepath.Join(c.root, strconv.Itoa(int(p.PID)), "stat"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return unix.ENOENT.Error()
		}
		return err.Error()
	}
	st, err := procfs.ParseStat(b)
	if err != nil {
		return "does not parse: " + err.Error()
	}
	if st.PID != p.PID || st.StartTicks != p.StartTimeNs/procfs.NsPerTick || st.Comm != p.Comm {
		return fmt.Sprintf("names pid %d (%s) started at %d ticks, not %s started at %d", st.PID, st.Comm, st.StartTicks,
			p.Comm, p.StartTimeNs/procfs.NsPerTick)
	}
	return ""
}
