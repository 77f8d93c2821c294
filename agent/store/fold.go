package store

import "time"

// Folding averages points into steps: gauges weighted by the samples each
// point stands for (a minute point by its 60, a raw one by 1), cumulative
// counters and the class kept from the newest point. Points must come in
// time order. A folder holds one step's sums at a time, so folding a day
// of points costs the memory of the points it returns, not of those it
// reads: the downsampling of history and the API's bounded queries both
// rely on that.

// stepStart is the start of the step t falls in.
func stepStart(t time.Time, step time.Duration) time.Time {
	return time.Unix(0, t.UnixNano()-t.UnixNano()%int64(step))
}

// systemFolder folds system points; step 0 keeps every point.
type systemFolder struct {
	step time.Duration
	out  []SystemPoint

	acc                                      SystemPoint
	total, used, free, avail, cpu, procs, ct float64
}

func (f *systemFolder) add(p SystemPoint) {
	if f.step <= 0 {
		f.out = append(f.out, p)
		return
	}
	start := stepStart(p.Time, f.step)
	if f.acc.Samples > 0 && !start.Equal(f.acc.Time) {
		f.flush()
	}
	if f.acc.Samples == 0 {
		f.acc = SystemPoint{Time: start}
		f.total, f.used, f.free, f.avail, f.cpu, f.procs, f.ct = 0, 0, 0, 0, 0, 0, 0
	}
	w := float64(max(p.Samples, 1))
	f.total += w * float64(p.MemTotalBytes)
	f.used += w * float64(p.MemUsedBytes)
	f.free += w * float64(p.MemFreeBytes)
	f.avail += w * float64(p.MemAvailBytes)
	f.cpu += w * p.CPUPercent
	f.procs += w * float64(p.Processes)
	f.ct += w * float64(p.Containers)
	f.acc.Discrepancies += p.Discrepancies
	f.acc.Hidden = max(f.acc.Hidden, p.Hidden) // a count of what is hidden at once: its peak
	f.acc.Samples += max(p.Samples, 1)
}

// flush closes the step in progress.
func (f *systemFolder) flush() {
	if f.acc.Samples == 0 {
		return
	}
	w := float64(f.acc.Samples)
	a := f.acc
	a.MemTotalBytes, a.MemUsedBytes = uint64(f.total/w), uint64(f.used/w)
	a.MemFreeBytes, a.MemAvailBytes = uint64(f.free/w), uint64(f.avail/w)
	a.CPUPercent = f.cpu / w
	a.Processes, a.Containers = int(f.procs/w+0.5), int(f.ct/w+0.5)
	f.out = append(f.out, a)
	f.acc.Samples = 0
}

// foldSystem folds pts into steps.
func foldSystem(pts []SystemPoint, step time.Duration) []SystemPoint {
	f := systemFolder{step: step}
	for _, p := range pts {
		f.add(p)
	}
	f.flush()
	return f.out
}

// containerFolder folds one container's points; step 0 keeps every
// point.
type containerFolder struct {
	step time.Duration
	out  []ContainerPoint

	acc                                     ContainerPoint
	cpu, ram, rss, usage, ws, prc, vsz, thr float64
}

func (f *containerFolder) add(p ContainerPoint) {
	if f.step <= 0 {
		f.out = append(f.out, p)
		return
	}
	start := stepStart(p.Time, f.step)
	if f.acc.Samples > 0 && !start.Equal(f.acc.Time) {
		f.flush()
	}
	if f.acc.Samples == 0 {
		f.acc = ContainerPoint{Time: start}
		f.cpu, f.ram, f.rss, f.usage, f.ws, f.prc, f.vsz, f.thr = 0, 0, 0, 0, 0, 0, 0, 0
	}
	w := float64(max(p.Samples, 1))
	f.cpu += w * p.CPUPercent
	f.ram += w * p.RAMPercent
	f.rss += w * float64(p.RSSBytes)
	f.usage += w * float64(p.MemUsageBytes)
	f.ws += w * float64(p.WorkingSetBytes)
	f.prc += w * float64(p.Processes)
	f.vsz += w * float64(p.VSZBytes)
	f.thr += w * float64(p.Threads)
	f.acc.CPUNs, f.acc.ReadBytes, f.acc.WriteBytes, f.acc.Class = p.CPUNs, p.ReadBytes, p.WriteBytes, p.Class
	f.acc.Samples += max(p.Samples, 1)
}

func (f *containerFolder) flush() {
	if f.acc.Samples == 0 {
		return
	}
	w := float64(f.acc.Samples)
	a := f.acc
	a.CPUPercent, a.RAMPercent = f.cpu/w, f.ram/w
	a.RSSBytes, a.MemUsageBytes, a.WorkingSetBytes = uint64(f.rss/w), uint64(f.usage/w), uint64(f.ws/w)
	a.Processes = int(f.prc/w + 0.5)
	a.VSZBytes, a.Threads = uint64(f.vsz/w), int(f.thr/w+0.5)
	f.out = append(f.out, a)
	f.acc.Samples = 0
}

// foldContainer folds pts into steps.
func foldContainer(pts []ContainerPoint, step time.Duration) []ContainerPoint {
	f := containerFolder{step: step}
	for _, p := range pts {
		f.add(p)
	}
	f.flush()
	return f.out
}

// steps are the steps a query picks from when it must downsample to
// stay within its points: the smallest that fits.
var steps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour,
}

// pickStep is the smallest of steps that folds [from, to] into at most
// maxPoints points (a range can touch one step more than its length
// holds: hence the +1).
func pickStep(from, to time.Time, maxPoints int) time.Duration {
	span := to.Sub(from)
	for _, s := range steps {
		if int64(span/s)+2 <= int64(maxPoints) {
			return s
		}
	}
	return steps[len(steps)-1]
}
