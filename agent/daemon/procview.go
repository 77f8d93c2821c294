package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/procview"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// checkProcView runs the third view on this tick's kernel reads: the
// primary's, and eBPF's when the cross-check read it too. It drains the
// exit stream first, so that a process that exited since the reads is
// known as such. The error goes into the tick's.
func (d *Daemon) checkProcView(primary string, procs *snapshot.Processes, ebpf *snapshot.Processes) (*apiv1.ProcView, error) {
	if err := d.drainExits(); err != nil {
		return nil, err
	}
	views := []procview.View{{Name: primary, Processes: procs.Processes}}
	if ebpf != nil {
		views = append(views, procview.View{Name: d.srcs.EBPF.Name(), Processes: ebpf.Processes})
	}
	r, err := d.srcs.ProcView.Check(func(k snapshot.Key) bool { _, ok := d.oracle.exited(k); return ok }, views...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.srcs.ProcView.Name(), err)
	}
	out := &apiv1.ProcView{Listed: r.Listed, Checked: r.Checked, Candidates: r.Candidates, Churn: r.Churn,
		Hidden: make([]apiv1.Hidden, 0, len(r.Hidden)), MountInfoError: r.MountInfoErr}
	for i := range r.Hidden {
		out.Hidden = append(out.Hidden, wireHidden(&r.Hidden[i]))
	}
	return out, nil
}

func wireHidden(f *procview.Finding) apiv1.Hidden {
	h := apiv1.Hidden{PID: f.Key.PID, StartTimeNs: f.Key.StartTimeNs, Comm: f.Comm, PPID: f.PPID, UID: f.UID,
		SeenBy: f.SeenBy, Listed: f.Listed, Stat: f.Stat, Since: f.Since, Checks: f.Checks, Reason: f.Reason()}
	for _, m := range f.Mounts {
		h.Mounts = append(h.Mounts, apiv1.HiddenMount{ID: m.ID, ParentID: m.ParentID, MountPoint: m.MountPoint,
			Root: m.Root, FSType: m.FSType, Source: m.Source})
	}
	return h
}

// hiddenEvents records each process when it is first found hidden
// (crosscheck.hidden, with the evidence) and when it no longer is
// (crosscheck.shown: exited, or shown again), against the last check's
// findings. A process hidden for days is one event, not one a tick.
func (d *Daemon) hiddenEvents(now time.Time, pv *apiv1.ProcView) []store.Event {
	if pv == nil {
		return nil // no check this tick: the findings stand
	}
	var evs []store.Event
	seen := make(map[snapshot.Key]apiv1.Hidden, len(pv.Hidden))
	for _, h := range pv.Hidden {
		k := snapshot.Key{PID: h.PID, StartTimeNs: h.StartTimeNs}
		seen[k] = h
		if _, ok := d.hidden[k]; ok {
			continue
		}
		data := map[string]string{"pid": strconv.Itoa(int(h.PID)), "start_time_ns": strconv.FormatUint(h.StartTimeNs, 10),
			"comm": h.Comm, "ppid": strconv.Itoa(int(h.PPID)), "uid": strconv.FormatUint(uint64(h.UID), 10),
			"seen_by": strings.Join(h.SeenBy, ","), "listed": strconv.FormatBool(h.Listed), "since": h.Since.UTC().Format(time.RFC3339Nano)}
		if h.Stat != "" {
			data["stat"] = h.Stat
		}
		for i, m := range h.Mounts {
			data["mount"+strconv.Itoa(i)] = fmt.Sprintf("%s on %s (mount %d, %s from %s)", m.Root, m.MountPoint, m.ID, m.FSType, m.Source)
		}
		evs = append(evs, store.Event{Time: now, Kind: "crosscheck.hidden", Data: data,
			Message: fmt.Sprintf("pid %d (%s) listed by %s is hidden from /proc: %s", h.PID, h.Comm, strings.Join(h.SeenBy, " and "), h.Reason)})
	}
	for k, h := range d.hidden {
		if _, ok := seen[k]; ok {
			continue
		}
		_, exited := d.oracle.exited(k)
		why := "shown in /proc again"
		if exited {
			why = "exited"
		}
		evs = append(evs, store.Event{Time: now, Kind: "crosscheck.shown",
			Message: fmt.Sprintf("pid %d (%s) is no longer hidden: %s", h.PID, h.Comm, why),
			Data:    map[string]string{"pid": strconv.Itoa(int(h.PID)), "start_time_ns": strconv.FormatUint(h.StartTimeNs, 10), "comm": h.Comm, "why": why}})
	}
	d.hidden = seen
	return evs
}
