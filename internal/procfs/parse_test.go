package procfs

import (
	"os"
	"strings"
	"testing"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	st, err := ParseStat(fixture(t, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{PID: 4242, Comm: "a) b (c)", State: 'S', PPID: 1, Flags: 4194560, UTimeTicks: 150, STimeTicks: 25,
		Threads: 3, StartTicks: 12345, VSZBytes: 268435456, RSSPages: 32768}
	if st != want {
		t.Errorf("stat = %+v\nwant %+v", st, want)
	}
	if st.KThread() {
		t.Error("user process flagged as kernel thread")
	}
	sm, err := ParseStatm(fixture(t, "statm"))
	if err != nil || sm != (Statm{65536, 32768, 300}) {
		t.Errorf("statm = %+v, %v", sm, err)
	}
	ss, err := ParseStatus(fixture(t, "status"))
	if err != nil {
		t.Fatal(err)
	}
	if ss.UID != 1000 || ss.EUID != 1001 || ss.Threads != 3 || ss.VmRSS != 131072*1024 || ss.RssAnon != 130000*1024 ||
		ss.RssFile != 1072*1024 || !ss.HasMemory || ss.VoluntaryCtxt != 10 {
		t.Errorf("status = %+v", ss)
	}
	io, err := ParseIO(fixture(t, "io"))
	if err != nil || io.RChar != 100 || io.WriteBytes != 8192 || io.SyscW != 4 {
		t.Errorf("io = %+v, %v", io, err)
	}
	cg, err := ParseCgroupV2(fixture(t, "cgroup"))
	if err != nil || !strings.HasPrefix(cg, "/system.slice/docker-abab") {
		t.Errorf("cgroup = %q, %v", cg, err)
	}
	if v1, err := ParseCgroupV2([]byte("1:cpu:/user\n")); err != nil || v1 != "/" {
		t.Errorf("cgroup without a v2 line = %q, %v; want the root", v1, err)
	}
	s := Sample{Stat: st, Statm: sm, Status: ss, IO: io, HasIO: true, CgroupPath: cg, Cmdline: []byte("a\x00b c\x00")}
	p := s.Process(4096)
	if p.CPUNs != 175*NsPerTick || p.VSZBytes != 65536*4096 || p.ContainerRuntime != "docker" ||
		len(p.Cmdline) != 2 || p.Cmdline[1] != "b c" || p.StartTimeNs != 12345*NsPerTick {
		t.Errorf("process = %+v", p)
	}
}

func TestParseRejects(t *testing.T) {
	stat := string(fixture(t, "stat"))
	bad := map[string]func() error{
		"stat no parens":  func() error { _, err := ParseStat([]byte("1 a S 1")); return err },
		"stat short":      func() error { _, err := ParseStat([]byte("1 (a) S 1 2 3")); return err },
		"stat bad number": func() error { _, err := ParseStat([]byte(strings.Replace(stat, " 150 ", " x ", 1))); return err },
		"stat bad pid":    func() error { _, err := ParseStat([]byte("x" + stat)); return err },
		"stat long state": func() error { _, err := ParseStat([]byte(strings.Replace(stat, ") S ", ") SS ", 1))); return err },
		"statm short":     func() error { _, err := ParseStatm([]byte("1 2")); return err },
		"status no uid":   func() error { _, err := ParseStatus([]byte("Name:\tx\n")); return err },
		"status bad kb":   func() error { _, err := ParseStatus([]byte("Uid:\t0\t0\t0\t0\nVmRSS:\t12 MB\n")); return err },
		"status huge kb": func() error {
			_, err := ParseStatus([]byte("Uid:\t0\t0\t0\t0\nVmRSS:\t99999999999999999 kB\n"))
			return err
		},
		"io short":         func() error { _, err := ParseIO([]byte("rchar: 1\n")); return err },
		"io bad":           func() error { _, err := ParseIO([]byte("rchar: x\nwchar: 1\nsyscr: 1\nsyscw: 1\n")); return err },
		"cgroup malformed": func() error { _, err := ParseCgroupV2([]byte("1:cpu\n")); return err },
		"schedstat fields": func() error { _, err := ParseSchedstat([]byte("1 2\n")); return err },
	}
	for name, f := range bad {
		if f() == nil {
			t.Errorf("%s: accepted malformed input", name)
		}
	}
}

func TestSplitCmdline(t *testing.T) {
	cases := map[string][]string{
		"":             {},
		"\x00":         {""},
		"a\x00":        {"a"},
		"a\x00\x00b":   {"a", "", "b"},
		"a b\x00c\x00": {"a b", "c"},
	}
	for in, want := range cases {
		got := SplitCmdline([]byte(in))
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("SplitCmdline(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParsers(f *testing.F) {
	for _, n := range []string{"stat", "statm", "status", "io", "cgroup", "meminfo", "proc-stat"} {
		f.Add(fixture(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := ParseStat(b); err == nil && s.PID < 0 {
			t.Fatalf("negative pid accepted: %d", s.PID)
		}
		_, _ = ParseStatm(b)
		_, _ = ParseStatus(b)
		_, _ = ParseIO(b)
		_, _ = ParseCgroupV2(b)
		_, _ = ParseSchedstat(b)
		_ = SplitCmdline(b)
		if m, err := ParseMeminfo(b); err == nil {
			_ = m.Used() // never wraps: Used is 0 when available exceeds total
		}
		if c, err := ParseCPUTimes(b); err == nil {
			if p := CPUPercent(CPUTimes{}, c); p < 0 || p > 100 {
				t.Fatalf("CPU %v %%", p)
			}
		}
	})
}
