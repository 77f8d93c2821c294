package vm

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Result is what Run observed on the serial console.
type Result struct {
	// Console is the whole console output, one "\n" per line, without
	// carriage returns.
	Console string
	// ExitCode is Command's exit status, -1 if no KWTEST-EXIT line was seen.
	ExitCode int
	// SawExit reports whether a KWTEST-EXIT line was seen.
	SawExit bool
	// InitStarted reports whether /init got as far as mounting its file
	// systems.
	InitStarted bool
	// Records are the KWTEST-RECORD lines, in console order.
	Records []Record
	// Malformed describes marker lines that could not be parsed, such as a
	// record with invalid JSON.
	Malformed []string
	// Modules are the insmod results, in order.
	Modules []ModuleLoad
	// SetupFailures lists /init setup steps that failed, e.g. a mount.
	SetupFailures []string
	// Aborted is the reason /init gave for not running Command, if any.
	Aborted string
	// Problems are console lines matching kernel failure patterns (see
	// IsProblem).
	Problems []string
	// Duration is the wall time from starting qemu until it exited.
	Duration time.Duration
	// TimedOut reports whether Config.Timeout ended the run.
	TimedOut bool
}

// Record is one structured record printed by the guest, see package record.
type Record struct {
	Name string
	Data json.RawMessage
}

// ModuleLoad is the outcome of one insmod in /init.
type ModuleLoad struct {
	Path   string
	Status int // insmod's exit status; 0 means loaded
}

// tailLines is how many console lines Err includes.
const tailLines = 60

// Err returns nil if the run was clean: Command ran and exited 0, every
// module loaded, setup succeeded, every marker line parsed, no kernel
// problem was seen and the run did not time out. Otherwise it returns an
// error describing every failure, followed by the last 60 console lines.
func (r *Result) Err() error {
	var why []string
	if r.TimedOut {
		why = append(why, fmt.Sprintf("timed out after %v", r.Duration.Round(time.Millisecond)))
	}
	for _, m := range r.Modules {
		if m.Status != 0 {
			why = append(why, fmt.Sprintf("insmod %s exited %d", m.Path, m.Status))
		}
	}
	for _, s := range r.SetupFailures {
		why = append(why, "init setup failed: "+s)
	}
	if r.Aborted != "" {
		why = append(why, "command not run: "+r.Aborted)
	}
	switch {
	case r.SawExit && r.ExitCode != 0:
		why = append(why, fmt.Sprintf("command exited %d", r.ExitCode))
	case !r.SawExit && r.Aborted == "" && !r.InitStarted:
		why = append(why, "no "+MarkerExit+" line: /init never started")
	case !r.SawExit && r.Aborted == "":
		why = append(why, "no "+MarkerExit+" line: command did not finish")
	}
	for _, m := range r.Malformed {
		why = append(why, "malformed console line: "+m)
	}
	if n := len(r.Problems); n > 0 {
		why = append(why, fmt.Sprintf("%d kernel problem line(s), first: %s", n, r.Problems[0]))
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("vm test failed: %s\n--- last console lines ---\n%s",
		strings.Join(why, "; "), r.Tail(tailLines))
}

// Tail returns the last n lines of Console.
func (r *Result) Tail(n int) string {
	s := strings.TrimSuffix(r.Console, "\n")
	if s == "" || n <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ErrNoRecord is returned (wrapped) by DecodeRecord when no record has the
// requested name.
var ErrNoRecord = errors.New("no such record")

// RecordsNamed returns the records called name, in order.
func (r *Result) RecordsNamed(name string) []Record {
	var out []Record
	for _, rec := range r.Records {
		if rec.Name == name {
			out = append(out, rec)
		}
	}
	return out
}

// DecodeRecord unmarshals the first record called name into v. It returns
// an error wrapping ErrNoRecord if there is none, or the JSON error.
func (r *Result) DecodeRecord(name string, v any) error {
	for _, rec := range r.Records {
		if rec.Name == name {
			if err := json.Unmarshal(rec.Data, v); err != nil {
				return fmt.Errorf("decode record %q: %w", name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("decode record %q: %w", name, ErrNoRecord)
}
