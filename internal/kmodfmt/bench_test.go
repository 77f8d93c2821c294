package kmodfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// syntheticProcesses builds a process view of n records shaped like the
// module's output, with a realistic mix of command lines and cgroups.
func syntheticProcesses(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"schema":1,"kind":"processes","time_ns":123456789,"page_size":4096,"processes":[`)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		cg, ctr := "/system.slice/ssh.service", ""
		if i%4 == 0 {
			ctr = strings.Repeat(fmt.Sprintf("%02x", i%256), 32)
			cg = "/system.slice/docker-" + ctr + ".scope"
		}
		fmt.Fprintf(&b, "\n"+`{"pid":%d,"ppid":1,"uid":1000,"euid":1000,"comm":"worker-%d","state":"S","kthread":false,`+
			`"start_time_ns":%d,"threads":4,"running":1,"cpu_ns":%d,"user_ns":%d,"system_ns":%d,"vsz_bytes":%d,`+
			`"rss_anon_bytes":%d,"rss_file_bytes":%d,"rss_shmem_bytes":0,"rchar":%d,"wchar":%d,"syscr":%d,"syscw":%d,`+
			`"read_bytes":0,"write_bytes":%d,"cancelled_write_bytes":0,"cgroup_id":%d,"cgroup_path":%q,`+
			`"container_id":%q,"container_runtime":%q,"cmdline":["/usr/bin/worker","--id=%d","--config=/etc/worker.conf"],"cmdline_truncated":false}`,
			i, i, uint64(i)*1e9, uint64(i)*1e7, uint64(i)*7e6, uint64(i)*3e6, 200<<20, 12<<20, 3<<20,
			i*1000, i*2000, i*3, i*4, i*4096, 100+i%50, cg, ctr, map[bool]string{true: "docker"}[ctr != ""], i)
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

func TestSyntheticIsValid(t *testing.T) {
	data := syntheticProcesses(50)
	got, err := ParseProcesses(data)
	if err != nil {
		t.Fatal(err)
	}
	var want snapshot.Processes
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(got.Processes) != 50 || got.Processes[3].ContainerRuntime != "docker" || got.Processes[49].Cmdline[1] != "--id=50" {
		t.Fatalf("synthetic parse: %+v", got.Processes[3])
	}
}

// BenchmarkParseProcesses compares the specialised decoder with
// encoding/json on the same document.
func BenchmarkParseProcesses(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		data := syntheticProcesses(n)
		b.Run(fmt.Sprintf("kmodfmt/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseProcesses(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("kmodfmt_reuse/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var dst snapshot.Processes
			for b.Loop() {
				if err := ParseProcessesInto(&dst, data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("encoding_json/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var p snapshot.Processes
				if err := json.Unmarshal(data, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
