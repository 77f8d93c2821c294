package source

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStatParsers(t *testing.T) {
	kv := keyValues(fixture(t, "cgroup-v1/memory.stat"), "total_rss", "total_cache", "nope")
	if kv["total_rss"] == 0 || kv["total_cache"] == 0 || kv["nope"] != 0 {
		t.Errorf("v1 memory.stat: %v", kv)
	}
	io := parseBlkioV1(fixture(t, "cgroup-v1/blkio.throttle.io_service_bytes"))
	if len(io) != 2 || io[0] != (DeviceIO{Device: "8:0", Read: 4096, Write: 8192}) || io[1].Write != 2 {
		t.Errorf("blkio: %+v", io)
	}
	io = parseIOStatV2(fixture(t, "cgroup-v2/io.stat"))
	if len(io) != 2 || io[0] != (DeviceIO{Device: "8:0", Read: 4096, Write: 8192}) {
		t.Errorf("io.stat: %+v", io)
	}
	p, err := parsePressure(fixture(t, "cgroup-v2/memory.pressure"))
	if err != nil || p.Waiting != 1.5 || p.Stalled != 0.5 {
		t.Errorf("pressure: %+v %v", p, err)
	}
	if _, err := parsePressure([]byte("nonsense\n")); err == nil {
		t.Error("pressure without totals accepted")
	}
	for in, want := range map[string][3]uint64{"max 100000\n": {0, 100000, 1}, "50000 100000": {50000, 100000, 1}, "x": {0, 0, 0}} {
		q, per, ok := parseCPUMax([]byte(in))
		if q != want[0] || per != want[1] || ok != (want[2] == 1) {
			t.Errorf("cpu.max %q: %d %d %v", in, q, per, ok)
		}
	}
	// cAdvisor's conversion, which maps the default weight (100) to 2597.
	if weightToShares(100) != 2597 || weightToShares(1) != 2 || weightToShares(10000) != 262144 {
		t.Errorf("weight to shares: %d %d %d", weightToShares(100), weightToShares(1), weightToShares(10000))
	}
}

// tree writes files below root.
func tree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStatsReaderV1(t *testing.T) {
	root := t.TempDir()
	c := "/docker/abc"
	tree(t, root, map[string]string{
		"memory/memory.stat":                             string(fixture(t, "cgroup-v1/memory.stat")),
		"memory/memory.usage_in_bytes":                   "4000000000\n",
		"cpuacct/cpuacct.usage":                          "5000000000\n",
		"cpuacct/cpuacct.stat":                           "user 300\nsystem 100\n",
		"memory" + c + "/memory.stat":                    "rss 1\ntotal_rss 134217728\ntotal_cache 4096\ntotal_mapped_file 2048\ntotal_swap 0\n",
		"memory" + c + "/memory.failcnt":                 "7\n",
		"memory" + c + "/memory.max_usage_in_bytes":      "140000000\n",
		"memory" + c + "/memory.oom_control":             string(fixture(t, "cgroup-v1/memory.oom_control")),
		"memory" + c + "/memory.limit_in_bytes":          "9223372036854771712\n",
		"cpuacct" + c + "/cpuacct.stat":                  "user 150\nsystem 50\n",
		"cpu" + c + "/cpu.shares":                        "1024\n",
		"cpu" + c + "/cpu.cfs_period_us":                 "100000\n",
		"cpu" + c + "/cpu.cfs_quota_us":                  "-1\n",
		"blkio" + c + "/blkio.throttle.io_service_bytes": string(fixture(t, "cgroup-v1/blkio.throttle.io_service_bytes")),
	})
	r := NewStatsReader(root)
	cs := []apiv1.ContainerFigures{{Container: apiv1.Container{ID: "abc", Running: true, Cgroups: apiv1.Cgroups{MemPath: c}}, CPUNs: 1},
		{Container: apiv1.Container{ID: "gone", Running: true, Cgroups: apiv1.Cgroups{MemPath: "/docker/gone"}}},
		{Container: apiv1.Container{ID: "stopped"}}}
	stats, machine, err := r.Read(cs)
	if err != nil {
		t.Fatal(err)
	}
	s := stats["abc"]
	if len(stats) != 1 || s.RSS != 128<<20 || s.Cache != 4096 || s.MappedFile != 2048 || s.Failcnt != 7 || s.MaxUsage != 140000000 ||
		s.OOMKills != 3 || s.MemoryLimit != 0 || s.CPUUser != 1.5 || s.CPUSystem != 0.5 || s.CPUShares != 1024 ||
		s.CPUPeriod != 100000 || s.CPUQuota != 0 || !s.HasCPUSpec || len(s.IO) != 2 || s.IO[0].Write != 8192 || s.MemoryPressure != nil {
		t.Errorf("container: %+v", s)
	}
	if machine.CPUUsage != 5 || machine.CPUUser != 3 || machine.MemUsage != 4000000000 || machine.WorkingSet == 0 || machine.RSS == 0 {
		t.Errorf("machine: %+v", machine)
	}
	// The spec is kept a minute: a changed limit shows after it.
	tree(t, root, map[string]string{"memory" + c + "/memory.limit_in_bytes": "268435456\n"})
	if stats, _, _ := r.Read(cs); stats["abc"].MemoryLimit != 0 {
		t.Errorf("the spec was read again at once")
	}
	now := time.Now()
	r.now = func() time.Time { return now.Add(2 * specMaxAge) }
	if stats, _, _ := r.Read(cs); stats["abc"].MemoryLimit != 256<<20 {
		t.Errorf("limit after a minute: %d", stats["abc"].MemoryLimit)
	}
	// An idle container keeps its stats a minute; one whose processes
	// did anything is read again.
	tree(t, root, map[string]string{"cpuacct" + c + "/cpuacct.stat": "user 250\nsystem 50\n"})
	if stats, _, _ := r.Read(cs); stats["abc"].CPUUser != 1.5 {
		t.Errorf("an idle container read again: user %v", stats["abc"].CPUUser)
	}
	cs[0].CPUNs++
	if stats, _, _ := r.Read(cs); stats["abc"].CPUUser != 2.5 {
		t.Errorf("an active container not read again: user %v", stats["abc"].CPUUser)
	}
	r.now = func() time.Time { return now.Add(2*specMaxAge + statsMaxAge) }
	tree(t, root, map[string]string{"cpuacct" + c + "/cpuacct.stat": "user 350\nsystem 50\n"})
	if stats, _, _ := r.Read(cs); stats["abc"].CPUUser != 3.5 {
		t.Errorf("idle a minute, not read again: user %v", stats["abc"].CPUUser)
	}
	// A file there but unreadable fails the read, and says which.
	cs[0].CPUNs++
	os.Remove(filepath.Join(root, "memory"+c, "memory.failcnt"))
	os.Mkdir(filepath.Join(root, "memory"+c, "memory.failcnt"), 0o755)
	if _, _, err := r.Read(cs); err == nil || r.Status().State != apiv1.SourceFailing {
		t.Errorf("unreadable file: %v, %+v", err, r.Status())
	}
}

func TestStatsReaderV2(t *testing.T) {
	root := t.TempDir()
	c := "/system.slice/docker-abc.scope"
	files := map[string]string{"cgroup.controllers": "cpu memory io\n", "cpu.stat": "usage_usec 9000000\nuser_usec 6000000\nsystem_usec 3000000\n",
		"memory.stat": "anon 1\nfile 2\ninactive_file 0\n"}
	for _, f := range []string{"memory.stat", "memory.events", "cpu.stat", "io.stat", "memory.pressure", "cpu.pressure", "cpu.max"} {
		files[c[1:]+"/"+f] = string(fixture(t, "cgroup-v2/"+f))
	}
	files[c[1:]+"/memory.max"] = "max\n"
	files[c[1:]+"/memory.peak"] = "150000000\n"
	files[c[1:]+"/memory.swap.current"] = "4096\n"
	files[c[1:]+"/cpu.weight"] = "100\n"
	tree(t, root, files)
	r := NewStatsReader(root)
	if !r.v2 {
		t.Fatal("a unified tree taken for v1")
	}
	stats, machine, err := r.Read([]apiv1.ContainerFigures{{Container: apiv1.Container{ID: "abc", Running: true, Cgroups: apiv1.Cgroups{V2Path: c}}}})
	if err != nil {
		t.Fatal(err)
	}
	s := stats["abc"]
	if s.RSS != 134217728 || s.Cache != 8192000 || s.MappedFile != 4096000 || s.Swap != 4096 || s.Failcnt != 5 || s.OOMKills != 1 ||
		s.MaxUsage != 150000000 || s.CPUUser != 2 || s.CPUSystem != 0.5 || s.MemoryLimit != 0 || s.CPUShares != 2597 ||
		s.CPUQuota != 50000 || s.CPUPeriod != 100000 || s.MemoryPressure == nil || s.MemoryPressure.Waiting != 1.5 ||
		s.CPUPressure == nil || s.CPUPressure.Waiting != 2 || s.IOPressure != nil || len(s.IO) != 2 {
		t.Errorf("container: %+v", s)
	}
	if machine.CPUUsage != 9 || machine.MemUsage == 0 {
		t.Errorf("machine: %+v", machine)
	}
}
