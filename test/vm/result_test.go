package vm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestResultErrClean(t *testing.T) {
	r := &Result{ExitCode: 0, SawExit: true, InitStarted: true, Console: "KWTEST-EXIT 0\n"}
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil", err)
	}
}

func TestResultErrCases(t *testing.T) {
	var long strings.Builder
	for i := range 100 {
		fmt.Fprintf(&long, "line %d\n", i)
	}
	for name, tc := range map[string]struct {
		r    Result
		want []string
	}{
		"exit code":  {Result{SawExit: true, ExitCode: 2, InitStarted: true}, []string{"command exited 2"}},
		"no exit":    {Result{ExitCode: -1, InitStarted: true}, []string{"no KWTEST-EXIT line: command did not finish"}},
		"no init":    {Result{ExitCode: -1}, []string{"/init never started"}},
		"timed out":  {Result{ExitCode: -1, TimedOut: true, Duration: 3 * time.Second, InitStarted: true}, []string{"timed out after 3s", "did not finish"}},
		"problems":   {Result{SawExit: true, Problems: []string{"[1] BUG: x", "[2] Call Trace:"}}, []string{"2 kernel problem line(s), first: [1] BUG: x"}},
		"malformed":  {Result{SawExit: true, Malformed: []string{`parse record "x {": invalid JSON`}}, []string{"malformed console line"}},
		"setup":      {Result{SawExit: true, SetupFailures: []string{"mount cgroup2 on /sys/fs/cgroup"}}, []string{"init setup failed: mount cgroup2"}},
		"module":     {Result{ExitCode: -1, InitStarted: true, Aborted: "insmod failed: /m.ko", Modules: []ModuleLoad{{"/m.ko", 1}}}, []string{"insmod /m.ko exited 1", "command not run"}},
		"tail lines": {Result{ExitCode: -1, InitStarted: true, Console: long.String()}, []string{"last console lines ---\nline 40\n", "line 99"}},
	} {
		err := tc.r.Err()
		if err == nil {
			t.Errorf("%s: Err() = nil", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Err() = %q, lacks %q", name, err, w)
			}
		}
		if strings.Contains(err.Error(), "line 39\n") {
			t.Errorf("%s: more than %d console lines in error", name, tailLines)
		}
	}
}

func TestResultRecords(t *testing.T) {
	r := &Result{Records: []Record{{"a", []byte(`{"n":1}`)}, {"b", []byte(`2`)}, {"a", []byte(`{"n":3}`)}}}
	if got := r.RecordsNamed("a"); len(got) != 2 || string(got[1].Data) != `{"n":3}` {
		t.Errorf("RecordsNamed(a) = %v", got)
	}
	var v struct{ N int }
	if err := r.DecodeRecord("a", &v); err != nil || v.N != 1 {
		t.Errorf("DecodeRecord(a) = %+v, %v", v, err)
	}
	if err := r.DecodeRecord("zzz", &v); !errors.Is(err, ErrNoRecord) {
		t.Errorf("DecodeRecord(zzz) = %v, want ErrNoRecord", err)
	}
	var s string
	if err := r.DecodeRecord("b", &s); err == nil {
		t.Error("DecodeRecord(b) into string succeeded")
	}
}

func TestResultTail(t *testing.T) {
	r := &Result{Console: "a\nb\nc\n"}
	if got := r.Tail(2); got != "b\nc" {
		t.Errorf("Tail(2) = %q", got)
	}
	if got := r.Tail(10); got != "a\nb\nc" {
		t.Errorf("Tail(10) = %q", got)
	}
}
