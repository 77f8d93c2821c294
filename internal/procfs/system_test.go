package procfs

import (
	"strings"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	m, err := ParseMeminfo(fixture(t, "meminfo"))
	if err != nil || m.MemTotal == 0 || m.MemAvailable == 0 || m.MemAvailable > m.MemTotal || m.Used() != m.MemTotal-m.MemAvailable {
		t.Fatalf("fixture: %+v %v", m, err)
	}
	m, err = ParseMeminfo([]byte("MemTotal:       2000 kB\nMemFree:         500 kB\nMemAvailable:   1500 kB\nBuffers: 1 kB\nHugePages_Total: 0\n"))
	if err != nil || m.MemTotal != 2000<<10 || m.MemFree != 500<<10 || m.MemAvailable != 1500<<10 || m.Buffers != 1<<10 || m.Used() != 500<<10 {
		t.Errorf("small: %+v %v", m, err)
	}
	for _, bad := range []string{"MemFree: 1 kB\n", "MemTotal: 1 kB\n", "MemTotal: x kB\nMemAvailable: 1 kB\n", "MemTotal: 1\nMemAvailable: 1 kB\n"} {
		if _, err := ParseMeminfo([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestParseCPUTimes(t *testing.T) {
	c, err := ParseCPUTimes(fixture(t, "proc-stat"))
	if err != nil || c.Total() == 0 {
		t.Fatalf("fixture: %+v %v", c, err)
	}
	a, _ := ParseCPUTimes([]byte("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3\n"))
	b, _ := ParseCPUTimes([]byte("cpu  150 0 150 900 0 0 0 0 0 0\n"))
	if p := CPUPercent(a, b); p != 50 {
		t.Errorf("100 busy of 200: %v %%", p)
	}
	if p := CPUPercent(b, a); p != 0 {
		t.Errorf("counters back: %v %%", p)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu 1 2 3\n", "cpu 1 2 3 4 5 6 7 x\n"} {
		if _, err := ParseCPUTimes([]byte(bad)); err == nil || !strings.Contains(err.Error(), "parse stat") {
			t.Errorf("accepted %q: %v", bad, err)
		}
	}
}
