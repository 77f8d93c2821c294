package source

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Parsers of the cgroup files /metrics reads (cgroupstats.go), on bytes,
// so that they run on fixtures and under the fuzzer.

// keyValues parses "key value" lines (memory.stat, cpuacct.stat,
// cpu.stat, memory.events, memory.oom_control): the keys asked for, by
// name; a line that does not parse is skipped, a key absent stays 0.
func keyValues(b []byte, keys ...string) map[string]uint64 {
	out := make(map[string]uint64, len(keys))
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		k, v, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			continue
		}
		for _, want := range keys {
			if string(k) == want {
				if n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64); err == nil {
					out[want] = n
				}
			}
		}
	}
	return out
}

// parseUint reads a file holding one number; "max" (v2's unlimited) is
// ok false.
func parseUint(b []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil
}

// DeviceIO is what a cgroup read from and wrote to one block device.
type DeviceIO struct {
	// Device is "major:minor"; the reader names it (/dev/sda).
	Device      string
	Read, Write uint64
}

// parseBlkioV1 parses blkio.throttle.io_service_bytes ("8:0 Read 4096").
func parseBlkioV1(b []byte) []DeviceIO {
	var out []DeviceIO
	at := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.Contains(f[0], ":") {
			continue
		}
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		i, ok := at[f[0]]
		if !ok {
			i = len(out)
			at[f[0]] = i
			out = append(out, DeviceIO{Device: f[0]})
		}
		switch f[1] {
		case "Read":
			out[i].Read = n
		case "Write":
			out[i].Write = n
		}
	}
	return out
}

// parseIOStatV2 parses io.stat ("8:0 rbytes=4096 wbytes=8192 …").
func parseIOStatV2(b []byte) []DeviceIO {
	var out []DeviceIO
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.Contains(f[0], ":") {
			continue
		}
		d := DeviceIO{Device: f[0]}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "rbytes":
				d.Read = n
			case "wbytes":
				d.Write = n
			}
		}
		out = append(out, d)
	}
	return out
}

// Pressure is a v2 cgroup's pressure stall time, in seconds: waiting is
// "some" (at least one task stalled), stalled is "full" (all were).
type Pressure struct {
	Waiting, Stalled float64
}

// parsePressure parses cpu.pressure, memory.pressure or io.pressure.
func parsePressure(b []byte) (Pressure, error) {
	var p Pressure
	seen := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var dst *float64
		switch f[0] {
		case "some":
			dst = &p.Waiting
		case "full":
			dst = &p.Stalled
		default:
			continue
		}
		for _, kv := range f[1:] {
			if v, ok := strings.CutPrefix(kv, "total="); ok {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return p, fmt.Errorf("pressure total %q: %w", v, err)
				}
				*dst = float64(n) / 1e6
				seen++
			}
		}
	}
	if seen == 0 {
		return p, fmt.Errorf("no pressure totals")
	}
	return p, nil
}

// parseCPUMax parses v2's cpu.max ("max 100000" or "50000 100000"):
// the quota (0: none) and the period, in µs.
func parseCPUMax(b []byte) (quota, period uint64, ok bool) {
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, false
	}
	period, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if f[0] == "max" {
		return 0, period, true
	}
	quota, err = strconv.ParseUint(f[0], 10, 64)
	return quota, period, err == nil
}

// weightToShares converts v2's cpu.weight (1–10,000, default 100) to
// v1's cpu.shares (2–262,144), as cAdvisor does for
// container_spec_cpu_shares. It maps the ends of the ranges onto each
// other, so the default weight is 2597 shares, not v1's default 1024.
func weightToShares(w uint64) uint64 {
	if w == 0 {
		return 0
	}
	return 2 + ((w-1)*262142)/9999
}
