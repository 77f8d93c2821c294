package policy

import (
	"slices"
	"strconv"
	"strings"
	"time"

	pb "github.com/kwarden/kwarden/agent/policy/proto"
)

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func snapshotToProto(s *Snapshot) *pb.Snapshot {
	out := &pb.Snapshot{
		TimeUnixNano:    unixNano(s.Time),
		Round:           s.Round,
		Trigger:         pb.Trigger(s.Trigger),
		IntervalSeconds: s.Interval.Seconds(),
		WindowSeconds:   s.Window.Seconds(),
		System: &pb.System{
			MemTotalBytes:     s.System.MemTotalBytes,
			MemAvailableBytes: s.System.MemAvailableBytes,
			MemUsedBytes:      s.System.MemUsedBytes,
			CpuPercent:        s.System.CPUPercent,
			Cpus:              uint32(max(s.System.CPUs, 0)),
		},
		Containers: make([]*pb.Container, len(s.Containers)),
	}
	if p := s.System.Pressure; p != nil {
		out.System.Pressure = &pb.Pressure{Memory: resourceToProto(p.Memory), Cpu: resourceToProto(p.CPU), Io: resourceToProto(p.IO)}
	}
	sets := labelSets{index: map[string]uint32{}}
	for i := range s.Containers {
		c := &s.Containers[i]
		out.Containers[i] = &pb.Container{
			Id: c.ID, Name: c.Name, Image: c.Image, Kind: c.Kind, Class: c.Class, LabelSet: sets.add(c.Labels),
			CreatedUnixNano: unixNano(c.Created), StartedUnixNano: unixNano(c.Started), AgeSeconds: c.Age.Seconds(),
			Processes: uint32(max(c.Processes, 0)), Threads: uint32(max(c.Threads, 0)),
			CpuPercent: c.CPUPercent, CpuPercentAvg: c.CPUPercentAvg,
			RssBytes: c.RSSBytes, VszBytes: c.VSZBytes, MemUsageBytes: c.MemUsageBytes, WorkingSetBytes: c.WorkingSetBytes,
			RamPercent: c.RAMPercent, ReadBytes: c.ReadBytes, WriteBytes: c.WriteBytes,
			ReadBytesPerSecond: c.ReadBytesPerSecond, WriteBytesPerSecond: c.WriteBytesPerSecond,
			WorkingSetGrowthBytesPerSecond: c.WorkingSetGrowth, MemUsageGrowthBytesPerSecond: c.MemUsageGrowth, Protected: c.Protected,
		}
	}
	out.LabelSets = sets.sets
	return out
}

// labelSets collects the distinct label sets of a snapshot's containers.
type labelSets struct {
	index map[string]uint32 // a set's canonical form → 1 + its index
	sets  []*pb.LabelSet
	key   strings.Builder
	keys  []string
}

// add gives ls's label_set number, adding it if it is new.
func (l *labelSets) add(ls map[string]string) uint32 {
	if len(ls) == 0 {
		return 0
	}
	l.keys = l.keys[:0]
	for k := range ls {
		l.keys = append(l.keys, k)
	}
	slices.Sort(l.keys)
	l.key.Reset()
	for _, k := range l.keys {
		// Lengths first, so that no two sets share a form.
		v := ls[k]
		l.key.WriteString(strconv.Itoa(len(k)))
		l.key.WriteByte(':')
		l.key.WriteString(k)
		l.key.WriteString(strconv.Itoa(len(v)))
		l.key.WriteByte(':')
		l.key.WriteString(v)
	}
	if n, ok := l.index[l.key.String()]; ok {
		return n
	}
	l.sets = append(l.sets, &pb.LabelSet{Labels: ls})
	n := uint32(len(l.sets))
	l.index[l.key.String()] = n
	return n
}

func resourceToProto(r PressureResource) *pb.PressureResource {
	return &pb.PressureResource{
		SomeAvg10: r.Some.Avg10, SomeAvg60: r.Some.Avg60, SomeAvg300: r.Some.Avg300, SomeTotalUs: uint64(r.Some.Total / time.Microsecond),
		FullAvg10: r.Full.Avg10, FullAvg60: r.Full.Avg60, FullAvg300: r.Full.Avg300, FullTotalUs: uint64(r.Full.Total / time.Microsecond),
	}
}

func resourceFromProto(r *pb.PressureResource) PressureResource {
	return PressureResource{
		Some: PressureFigures{Avg10: r.GetSomeAvg10(), Avg60: r.GetSomeAvg60(), Avg300: r.GetSomeAvg300(), Total: time.Duration(r.GetSomeTotalUs()) * time.Microsecond},
		Full: PressureFigures{Avg10: r.GetFullAvg10(), Avg60: r.GetFullAvg60(), Avg300: r.GetFullAvg300(), Total: time.Duration(r.GetFullTotalUs()) * time.Microsecond},
	}
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func snapshotFromProto(s *pb.Snapshot) *Snapshot {
	sys := s.GetSystem()
	out := &Snapshot{
		Time:     fromUnixNano(s.GetTimeUnixNano()),
		Round:    s.GetRound(),
		Trigger:  Trigger(s.GetTrigger()),
		Interval: seconds(s.GetIntervalSeconds()),
		Window:   seconds(s.GetWindowSeconds()),
		System: System{
			MemTotalBytes:     sys.GetMemTotalBytes(),
			MemAvailableBytes: sys.GetMemAvailableBytes(),
			MemUsedBytes:      sys.GetMemUsedBytes(),
			CPUPercent:        sys.GetCpuPercent(),
			CPUs:              int(sys.GetCpus()),
		},
		Containers: make([]Container, len(s.GetContainers())),
	}
	if p := sys.GetPressure(); p != nil {
		out.System.Pressure = &Pressure{Memory: resourceFromProto(p.GetMemory()), CPU: resourceFromProto(p.GetCpu()), IO: resourceFromProto(p.GetIo())}
	}
	sets := s.GetLabelSets()
	for i, c := range s.GetContainers() {
		var labels map[string]string
		if n := c.GetLabelSet(); n > 0 && int(n) <= len(sets) {
			labels = sets[n-1].GetLabels() // shared by the containers of the set
		}
		out.Containers[i] = Container{
			ID: c.GetId(), Name: c.GetName(), Image: c.GetImage(), Kind: c.GetKind(), Class: c.GetClass(), Labels: labels,
			Created: fromUnixNano(c.GetCreatedUnixNano()), Started: fromUnixNano(c.GetStartedUnixNano()), Age: seconds(c.GetAgeSeconds()),
			Processes: int(c.GetProcesses()), Threads: int(c.GetThreads()),
			CPUPercent: c.GetCpuPercent(), CPUPercentAvg: c.GetCpuPercentAvg(),
			RSSBytes: c.GetRssBytes(), VSZBytes: c.GetVszBytes(), MemUsageBytes: c.GetMemUsageBytes(), WorkingSetBytes: c.GetWorkingSetBytes(),
			RAMPercent: c.GetRamPercent(), ReadBytes: c.GetReadBytes(), WriteBytes: c.GetWriteBytes(),
			ReadBytesPerSecond: c.GetReadBytesPerSecond(), WriteBytesPerSecond: c.GetWriteBytesPerSecond(),
			WorkingSetGrowth: c.GetWorkingSetGrowthBytesPerSecond(), MemUsageGrowth: c.GetMemUsageGrowthBytesPerSecond(), Protected: c.GetProtected(),
		}
	}
	return out
}

func decisionsToProto(ds []Decision) []*pb.Decision {
	out := make([]*pb.Decision, len(ds))
	for i, d := range ds {
		out[i] = &pb.Decision{ContainerId: d.ContainerID, Action: pb.Action(d.Action), Reason: d.Reason}
	}
	return out
}

func decisionsFromProto(ds []*pb.Decision) []Decision {
	out := make([]Decision, len(ds))
	for i, d := range ds {
		out[i] = Decision{ContainerID: d.GetContainerId(), Action: Action(d.GetAction()), Reason: d.GetReason()}
	}
	return out
}
