package load

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind names a workload.
type Kind string

// The kinds, as image tags and kwarden.kind labels use them.
const (
	CPU  Kind = "cpu"
	RAM  Kind = "ram"
	IO   Kind = "io"
	Disk Kind = "disk"
	Low  Kind = "low"
)

// Kinds lists every kind, in the order the docs use.
var Kinds = []Kind{CPU, RAM, IO, Disk, Low}

// Spec is one workload.
type Spec struct {
	Kind     Kind
	Workers  int           // cpu, io; 0 means the kind's default
	Bytes    int64         // ram, disk; 0 means the kind's default
	Duration time.Duration // 0: until the context ends
	Dir      string        // io, disk: where files go; "" means /tmp
	// Reread (disk) reads the file back from the start, over and over,
	// once written: in a memory cgroup smaller than the file its page
	// cache thrashes, which is memory pressure (PSI) without the OOM
	// killer, for the pressure policy's tests.
	Reread bool
}

// Defaults of the course's versions: two busy CPU workers, 64 MiB of RAM
// (version B holds 128 MiB: pass it), 100 MB written by the disk kind.
const (
	DefaultCPUWorkers = 2
	DefaultIOWorkers  = 1
	DefaultRAMBytes   = 64 << 20
	DefaultDiskBytes  = 100_000_000
	DefaultDir        = "/tmp"
)

// withDefaults fills the zero fields and checks the rest.
func (s Spec) withDefaults() (Spec, error) {
	switch s.Kind {
	case CPU:
		if s.Workers == 0 {
			s.Workers = DefaultCPUWorkers
		}
	case IO:
		if s.Workers == 0 {
			s.Workers = DefaultIOWorkers
		}
	case RAM:
		if s.Bytes == 0 {
			s.Bytes = DefaultRAMBytes
		}
	case Disk:
		if s.Bytes == 0 {
			s.Bytes = DefaultDiskBytes
		}
	case Low:
	default:
		return s, fmt.Errorf("unknown kind %q (want cpu, ram, io, disk or low)", s.Kind)
	}
	if s.Workers < 0 || s.Workers > 1024 {
		return s, fmt.Errorf("workers %d out of range 0..1024", s.Workers)
	}
	if s.Bytes < 0 || s.Bytes > 1<<40 {
		return s, fmt.Errorf("bytes %d out of range 0..1 TiB", s.Bytes)
	}
	if s.Duration < 0 {
		return s, fmt.Errorf("negative duration %v", s.Duration)
	}
	if s.Reread && s.Kind != Disk {
		return s, fmt.Errorf("reread: the disk kind only, not %s", s.Kind)
	}
	if s.Dir == "" {
		s.Dir = DefaultDir
	}
	return s, nil
}

var errSize = errors.New("want a number with an optional unit: B, K, KB, KiB, M, MB, MiB, G, GB, GiB")

// ParseBytes reads a size such as "64MiB", "100MB", "128M" or "4096".
// Units with an i are binary, the others decimal, except the one-letter
// K, M and G, which are binary as in docker's --memory.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: %w", s, errSize)
	}
	mult := map[string]int64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1000_000,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1000_000_000,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unit %q: %w", s, unit, errSize)
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mult, nil
}
