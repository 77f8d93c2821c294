package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/test/dockertest"
)

// A container started while kwardend has no file descriptor to spare
// gets its figures once descriptors are free again. (It stayed at RSS 0,
// memory 0 and 0 processes for good: its cgroups were read once, failed
// with EMFILE, and never again.) The real binary runs on the real
// dockerd; its limit is lowered with prlimit to exactly the descriptors
// it has open, the container starts, then the limit goes back up.
func TestContainerStartedOutOfFilesRecovers(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	eng := dockertest.ForTest(t, root)
	bin := buildKwardend(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := startBinary(t, exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-interval", "250ms", "-sources", "ebpf",
		"-db", filepath.Join(dir, "history.db"), "-docker-host", eng.Host))
	addr, _ := p.waitFor(t, "kwardend running")["listen"].(string)
	// One keep-alive connection, opened now and reused: the test's own
	// requests need no descriptor while kwardend has none.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
	figures := func(name string) (sample.Figures, bool) {
		var cs struct {
			Containers []sample.Figures `json:"containers"`
		}
		resp, err := client.Get("http://" + addr + "/api/v1/containers")
		if err != nil {
			t.Fatalf("kwardend: %v", err)
		}
		defer resp.Body.Close()
		if err := decodeJSON(resp, &cs); err != nil {
			t.Fatal(err)
		}
		for _, f := range cs.Containers {
			if f.Name == name {
				return f, true
			}
		}
		return sample.Figures{}, false
	}
	figures("")
	time.Sleep(time.Second) // a few ticks: every file a tick keeps is open

	pid := p.cmd.Process.Pid
	var limit unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &limit); err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatal(err)
	}
	// The limit bounds the number a new descriptor gets, and the kernel
	// gives the lowest free one: at the lowest free number, no open
	// succeeds, whatever is open above it.
	open := map[uint64]bool{}
	for _, e := range fds {
		n, _ := strconv.ParseUint(e.Name(), 10, 64)
		open[n] = true
	}
	free := uint64(0)
	for open[free] {
		free++
	}
	tight := unix.Rlimit{Cur: free, Max: limit.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &tight, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("kwardend's file limit lowered to %d (%d descriptors open): no open can succeed", free, len(fds))
	if _, err := eng.Docker(ctx, "run", "-d", "--network", "none", "--name", "kwd-emfile", "kwarden/load:ram", "-bytes", "32MiB"); err != nil {
		t.Fatal(err)
	}
	defer eng.Docker(context.Background(), "rm", "-f", "kwd-emfile")
	// While it has no descriptor, kwardend has no figures for it.
	zero := 0
	for range 20 {
		time.Sleep(250 * time.Millisecond)
		if f, _ := figures("kwd-emfile"); f.Processes == 0 {
			zero++
		}
	}
	t.Logf("out of descriptors: %d of 20 looks at kwd-emfile without figures", zero)
	if zero == 0 {
		t.Fatal("kwd-emfile had figures at once: the limit did not bite, the test proves nothing")
	}

	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &limit, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		f, _ := figures("kwd-emfile")
		if f.Processes > 0 && f.RSSBytes > 16<<20 && f.MemUsageBytes > 16<<20 {
			t.Logf("descriptors back: kwd-emfile has %d processes, RSS %d MiB, memory %d MiB",
				f.Processes, f.RSSBytes>>20, f.MemUsageBytes>>20)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the descriptors came back, kwd-emfile still has %+v", f)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
