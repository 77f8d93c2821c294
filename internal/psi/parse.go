package psi

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Figures is one line of a pressure file: the share of wall time in
// which tasks were stalled, as the kernel's running averages over 10, 60
// and 300 s (percent, 0 to 100), and the stall time since boot (or
// since the cgroup was created).
type Figures struct {
	Avg10, Avg60, Avg300 float64
	Total                time.Duration
}

// Resource is one pressure file. Some is the time in which at least one
// task was stalled on the resource; Full the time in which every
// non-idle task was stalled at once. Full is zero where the kernel
// prints no full line: the cpu file before Linux 5.13. Since 5.13 the
// system-wide cpu file has a full line that is always zero (the state
// is undefined for the whole machine); a cgroup's is real.
type Resource struct {
	Some, Full Figures
}

// ParseResource parses the contents of a pressure file, /proc/pressure/*
// or a cgroup v2 *.pressure file, which the kernel prints with one
// format string (kernel/sched/psi.c, psi_show):
//
//	some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//
// It is lenient where kernels differ and strict where they do not. The
// some line is required; a missing full line leaves Full zero; a line
// that starts with another word, and a key=value field of another name,
// are skipped, since a later kernel may add them and reading the known
// figures must not stop working then. A known line must hold each of
// avg10, avg60, avg300 and total once, every field must be key=value, an
// average must be a plain decimal from 0 to 100 and total an unsigned
// integer (microseconds); anything else is an error that names the line
// by number and quotes it. Pure function: no I/O.
func ParseResource(b []byte) (Resource, error) {
	var r Resource
	var seenSome, seenFull bool
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		kind, rest, _ := bytes.Cut(line, []byte{' '})
		var dst *Figures
		switch string(kind) {
		case "some":
			if seenSome {
				return Resource{}, lineError(n, line, "a second some line")
			}
			dst, seenSome = &r.Some, true
		case "full":
			if seenFull {
				return Resource{}, lineError(n, line, "a second full line")
			}
			dst, seenFull = &r.Full, true
		default:
			continue // an empty line, or a line a later kernel added
		}
		f, err := parseFigures(rest)
		if err != nil {
			return Resource{}, lineError(n, line, err.Error())
		}
		*dst = f
	}
	if !seenSome {
		return Resource{}, fmt.Errorf("parse pressure: no some line")
	}
	return r, nil
}

func lineError(n int, line []byte, what string) error {
	const maxQuote = 80 // a garbage file must not flood a log line
	if len(line) > maxQuote {
		line = line[:maxQuote]
	}
	return fmt.Errorf("parse pressure: line %d %q: %s", n, line, what)
}

// parseFigures parses the fields after "some " or "full ".
func parseFigures(b []byte) (Figures, error) {
	var f Figures
	const avg10, avg60, avg300, total = 1, 2, 4, 8
	var seen int
	for _, field := range bytes.Fields(b) {
		key, val, ok := bytes.Cut(field, []byte{'='})
		if !ok {
			return Figures{}, fmt.Errorf("field %q is not key=value", field)
		}
		var bit int
		var err error
		switch string(key) {
		case "avg10":
			bit = avg10
			f.Avg10, err = parseAverage(val)
		case "avg60":
			bit = avg60
			f.Avg60, err = parseAverage(val)
		case "avg300":
			bit = avg300
			f.Avg300, err = parseAverage(val)
		case "total":
			bit = total
			f.Total, err = parseTotal(val)
		default:
			continue
		}
		if err != nil {
			return Figures{}, fmt.Errorf("%s=%q: %w", key, val, err)
		}
		if seen&bit != 0 {
			return Figures{}, fmt.Errorf("%s given twice", key)
		}
		seen |= bit
	}
	if seen != avg10|avg60|avg300|total {
		return Figures{}, fmt.Errorf("want avg10, avg60, avg300 and total")
	}
	return f, nil
}

// parseAverage parses an average as the kernel prints it ("%lu.%02lu").
// strconv.ParseFloat alone would also take signs, exponents, hex, "Inf"
// and "NaN", none of which a kernel writes, so the digits are checked
// first. The kernel's averages cannot exceed 100: each sample is clamped
// to its period (update_averages) and the decaying average of values of
// at most 100 % stays at most 100 % after calc_load's rounding up.
func parseAverage(b []byte) (float64, error) {
	intPart, frac, hasDot := bytes.Cut(b, []byte{'.'})
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, fmt.Errorf("not a decimal number")
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, err
	}
	if v > 100 {
		return 0, fmt.Errorf("above 100 %%")
	}
	return v, nil
}

// parseTotal parses a stall total, printed in microseconds ("%llu").
func parseTotal(b []byte) (time.Duration, error) {
	if !allDigits(b) {
		return 0, fmt.Errorf("not an unsigned integer")
	}
	us, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, err
	}
	// time.Duration holds 292 years of nanoseconds; more is a broken file.
	if us > uint64(1<<63-1)/uint64(time.Microsecond) {
		return 0, fmt.Errorf("beyond time.Duration's range")
	}
	return time.Duration(us) * time.Microsecond, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}
