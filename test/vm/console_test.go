package vm

import (
	"os"
	"strings"
	"testing"
)

func parseConsoleFile(t *testing.T, name string) *Result {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p := newConsoleParser()
	if err := readLines(strings.NewReader(string(b)), func(l string) { p.line(l) }); err != nil {
		t.Fatal(err)
	}
	return p.result()
}

func TestConsoleParserRecordsAndProblems(t *testing.T) {
	r := parseConsoleFile(t, "testdata/console-warn.txt")
	if !r.InitStarted || !r.SawExit || r.ExitCode != 3 {
		t.Errorf("init %v, exit %d (seen %v)", r.InitStarted, r.ExitCode, r.SawExit)
	}
	var got []string
	for _, rec := range r.Records {
		got = append(got, rec.Name+"="+string(rec.Data))
	}
	want := `x={"a":1} msg={"text":"BUG: in JSON is fine"} y=[1,2,3] fromkmsg=true`
	if strings.Join(got, " ") != want {
		t.Errorf("records = %s\nwant      %s", strings.Join(got, " "), want)
	}
	if len(r.Malformed) != 2 || !strings.Contains(r.Malformed[0], "invalid JSON") || !strings.Contains(r.Malformed[1], "bad name") {
		t.Errorf("Malformed = %q", r.Malformed)
	}
	wantProblems := []string{"[    2.100000] WARNING: test planted", "[    2.300001] Call Trace:"}
	if strings.Join(r.Problems, "|") != strings.Join(wantProblems, "|") {
		t.Errorf("Problems = %q, want %q", r.Problems, wantProblems)
	}
	if strings.Contains(r.Console, "\r") || !strings.HasSuffix(r.Console, "Power down\n") {
		t.Errorf("Console not normalised: %q", r.Console[len(r.Console)-40:])
	}
}

func TestConsoleParserAbort(t *testing.T) {
	r := parseConsoleFile(t, "testdata/console-abort.txt")
	if len(r.Modules) != 1 || r.Modules[0] != (ModuleLoad{Path: "/lib/modules/my mod.ko", Status: 1}) {
		t.Errorf("Modules = %+v", r.Modules)
	}
	if r.Aborted != "insmod failed: /lib/modules/my mod.ko" {
		t.Errorf("Aborted = %q", r.Aborted)
	}
	if len(r.SetupFailures) != 1 || r.SetupFailures[0] != "mount cgroup2 on /sys/fs/cgroup" {
		t.Errorf("SetupFailures = %q", r.SetupFailures)
	}
	if r.SawExit || r.ExitCode != -1 || len(r.Malformed) != 1 {
		t.Errorf("exit %d (seen %v), malformed %q; want unparsed exit line reported", r.ExitCode, r.SawExit, r.Malformed)
	}
}

func TestReadLinesUnterminated(t *testing.T) {
	var got []string
	if err := readLines(strings.NewReader("a\nb\r\nc"), func(l string) { got = append(got, l) }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "a\n|b\r\n|c" {
		t.Errorf("lines = %q", got)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain\ttext": "plain\ttext",
		"\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (v1)\r\n": "SeaBIOS (v1)",
		"oc\x1b[?7l\x1b[2J[    0.96] mtrr":            "oc[    0.96] mtrr",
		"bell\a and del\x7f":                          "bell and del",
		"dangling\x1b[12":                             "dangling",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
