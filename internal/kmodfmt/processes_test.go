package kmodfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseProcessesFixture(t *testing.T) {
	got, err := ParseProcesses(readFixture(t, "processes.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got.TimeNs != 123456789000 || got.PageSize != 4096 || len(got.Processes) != 3 {
		t.Fatalf("header or count wrong: %+v", got)
	}
	p := got.Processes[2]
	if want := "a\"b\\c\n\x01\uFFFD"; p.Comm != want {
		t.Errorf("comm = %q, want %q", p.Comm, want)
	}
	wantCmd := []string{"/kwarden-load", `--kind="ram"`, "tab\there", "日本語"}
	if !reflect.DeepEqual(p.Cmdline, wantCmd) {
		t.Errorf("cmdline = %q, want %q", p.Cmdline, wantCmd)
	}
	if p.ContainerRuntime != "docker" || len(p.ContainerID) != 64 || !p.CmdlineTruncated {
		t.Errorf("container fields wrong: %+v", p)
	}
	if p.RSSBytes() != 134217728+4096 || p.Threads != 3 || p.State != "R" {
		t.Errorf("figures wrong: %+v", p)
	}
	if !got.Processes[1].KThread || got.Processes[0].KThread {
		t.Errorf("kthread flags wrong")
	}
}

// The hand-written decoder must agree with encoding/json on every
// well-formed document. This compares them on the fixture.
func TestParseProcessesAgreesWithEncodingJSON(t *testing.T) {
	data := readFixture(t, "processes.json")
	got, err := ParseProcesses(data)
	if err != nil {
		t.Fatal(err)
	}
	var want snapshot.Processes
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("decoders disagree:\n got %+v\nwant %+v", got, &want)
	}
}

func TestParseProcessesRejects(t *testing.T) {
	good := string(readFixture(t, "processes.json"))
	cases := map[string]string{
		"empty":            "",
		"not an object":    "[]",
		"truncated":        good[:len(good)/2],
		"trailing comma":   strings.Replace(good, "\n]}", ",\n]}", 1),
		"missing schema":   strings.Replace(good, `"schema":1,`, "", 1),
		"future schema":    strings.Replace(good, `"schema":1`, `"schema":2`, 1),
		"wrong kind":       strings.Replace(good, `"kind":"processes"`, `"kind":"containers"`, 1),
		"negative pid":     strings.Replace(good, `"pid":4242`, `"pid":-4242`, 1),
		"zero pid":         strings.Replace(good, `"pid":4242`, `"pid":0`, 1),
		"pid overflow":     strings.Replace(good, `"pid":4242`, `"pid":4294967296`, 1),
		"u64 overflow":     strings.Replace(good, `"cpu_ns":5000000000`, `"cpu_ns":18446744073709551616`, 1),
		"fraction":         strings.Replace(good, `"cpu_ns":5000000000`, `"cpu_ns":5.5`, 1),
		"leading zero":     strings.Replace(good, `"cpu_ns":5000000000`, `"cpu_ns":05`, 1),
		"string for int":   strings.Replace(good, `"cpu_ns":5000000000`, `"cpu_ns":"5"`, 1),
		"raw newline":      strings.Replace(good, `tab\there`, "tab\nthere", 1),
		"bad escape":       strings.Replace(good, `tab\there`, `tab\qthere`, 1),
		"short unicode":    strings.Replace(good, `\u0001`, `\u01`, 1),
		"missing pid":      strings.Replace(good, `"pid":4242,`, "", 1),
		"missing comm":     strings.Replace(good, `"comm":"init",`, "", 1),
		"long state":       strings.Replace(good, `"state":"R"`, `"state":"RS"`, 1),
		"garbage after":    good + "x",
		"two documents":    good + good,
		"unclosed array":   strings.TrimSuffix(good, "]}\n"),
		"deep nesting":     strings.Replace(good, `"schema":1`, `"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`,"schema":1`, 1),
		"bool typo":        strings.Replace(good, `"kthread":true`, `"kthread":tru`, 1),
		"cmdline not list": strings.Replace(good, `"cmdline":["/init"]`, `"cmdline":"/init"`, 1),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := ParseProcesses([]byte(in)); err == nil {
				t.Fatalf("accepted malformed input, got %d processes", len(got.Processes))
			}
		})
	}
}

func TestParseProcessesSchemaErrorIsTyped(t *testing.T) {
	in := strings.Replace(string(readFixture(t, "processes.json")), `"schema":1`, `"schema":9`, 1)
	_, err := ParseProcesses([]byte(in))
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("err = %v, want ErrSchema", err)
	}
}

func TestParseProcessesIgnoresUnknownFields(t *testing.T) {
	in := strings.Replace(string(readFixture(t, "processes.json")), `"pid":1,`,
		`"pid":1,"future":{"a":[1,-2.5e3,null,true,"x"]},"also":null,`, 1)
	in = strings.Replace(in, `"page_size":4096`, `"page_size":4096,"extra":[{}]`, 1)
	got, err := ParseProcesses([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got.Processes[0].PID != 1 || got.Processes[0].Comm != "init" {
		t.Fatalf("record after unknown field parsed wrongly: %+v", got.Processes[0])
	}
}

func TestUnescapeSurrogates(t *testing.T) {
	cases := map[string]string{
		`\ud83d\ude00`: "😀",
		`\ud83d`:       "\uFFFD",
		`\ude00x`:      "\uFFFDx",
		`\ud83dx`:      "\uFFFDx",
		"\xff\xfe":     "\uFFFD\uFFFD",
		`\/`:           "/",
	}
	for in, want := range cases {
		got, err := unescape([]byte(in))
		if err != nil || got != want {
			t.Errorf("unescape(%q) = %q, %v; want %q", in, got, err, want)
		}
		var viaJSON string
		if err := json.Unmarshal([]byte(`"`+in+`"`), &viaJSON); err == nil && viaJSON != got {
			t.Errorf("unescape(%q) = %q but encoding/json gives %q", in, got, viaJSON)
		}
	}
}

func TestParseProcessesIntoReuses(t *testing.T) {
	data := readFixture(t, "processes.json")
	var dst snapshot.Processes
	for i := 0; i < 3; i++ {
		if err := ParseProcessesInto(&dst, data); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := ParseProcesses(data)
	if !reflect.DeepEqual(&dst, want) {
		t.Fatalf("reused parse differs:\n%+v\n%+v", dst, want)
	}
	if err := ParseProcessesInto(&dst, data[:40]); err == nil {
		t.Fatal("truncated input accepted")
	}
}

// running was added within schema 1: the fixture's first record has it,
// and a record without it still parses (readers of older modules).
func TestRunningField(t *testing.T) {
	b, err := os.ReadFile("testdata/processes.json")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ParseProcesses(b)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Processes[0].Running != 1 || ps.Processes[1].Running != 0 {
		t.Errorf("running = %d, %d; want 1, 0", ps.Processes[0].Running, ps.Processes[1].Running)
	}
	old := bytes.Replace(b, []byte(`"running":1,`), nil, 1)
	if ps, err = ParseProcesses(old); err != nil || ps.Processes[0].Running != 0 {
		t.Errorf("record without running: %v", err)
	}
}
