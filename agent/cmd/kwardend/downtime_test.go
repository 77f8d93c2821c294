package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/test/historytest"
	"github.com/kwarden/kwarden/test/testenv"
)

// memoryCgroup is a memory cgroup a test puts kwardend in.
type memoryCgroup struct {
	dir   string
	v2    bool
	procs string // the file a process writes its pid to, to join
}

// newMemoryCgroup makes a memory cgroup limited to limit bytes, on the
// v1 memory hierarchy (this build machine, hybrid) or v2 (the
// appliance), and removes it at the end of the test.
func newMemoryCgroup(t *testing.T, limit int64) *memoryCgroup {
	t.Helper()
	testenv.Require(t, os.Geteuid() == 0, "a memory cgroup needs root")
	name := fmt.Sprintf("kwarden-test-%d", os.Getpid())
	var cg memoryCgroup
	var limitFile string
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		cg = memoryCgroup{dir: filepath.Join("/sys/fs/cgroup", name), v2: true}
		limitFile = "memory.max"
	} else {
		cg = memoryCgroup{dir: filepath.Join("/sys/fs/cgroup/memory", name)}
		limitFile = "memory.limit_in_bytes"
	}
	if err := os.Mkdir(cg.dir, 0o755); err != nil {
		testenv.RequireNoErr(t, err, "a memory cgroup")
	}
	t.Cleanup(func() {
		// The processes in it have exited by now (startBinary's cleanup
		// runs first: cleanups run last-registered first).
		for range 50 {
			if os.Remove(cg.dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove %s", cg.dir)
	})
	if err := os.WriteFile(filepath.Join(cg.dir, limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Fatalf("limit %s: %v", cg.dir, err)
	}
	if cg.v2 {
		os.WriteFile(filepath.Join(cg.dir, "memory.swap.max"), []byte("0"), 0o644)
	}
	cg.procs = filepath.Join(cg.dir, "cgroup.procs")
	return &cg
}

// oomKills is how many processes the kernel killed in the cgroup for
// its limit.
func (cg *memoryCgroup) oomKills(t *testing.T) int {
	file := "memory.oom_control"
	if cg.v2 {
		file = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(cg.dir, file))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// peak is the cgroup's highest memory use, or 0 where the kernel does
// not say.
func (cg *memoryCgroup) peak() int64 {
	file := "memory.max_usage_in_bytes"
	if cg.v2 {
		file = "memory.peak"
	}
	b, _ := os.ReadFile(filepath.Join(cg.dir, file))
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// The lab VM after a night off: the history holds a day of 100
// containers at 1 s, all of it older than the raw retention. The first
// prune after start folded it in one transaction (2.3 GB, ~10 s at tick
// 0), and in a 1 GiB memory cgroup it was killed three starts out of
// three, for nothing ever committed. In a 256 MiB cgroup kwardend must
// be healthy within 10 s, fold the backlog while it ticks, never be
// killed, and start again as quickly.
func TestDowntimeBacklog(t *testing.T) {
	cg := newMemoryCgroup(t, 256<<20)
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	now := time.Now()
	dayStart := now.Add(-48 * time.Hour).Truncate(time.Minute)
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := historytest.Write(s, historytest.Spec{From: dayStart, Ticks: 24 * 3600, Containers: 100}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, _ := os.Stat(db)
	t.Logf("history: a day of 100 containers at 1 s, ending a day ago: %d MB", fi.Size()>>20)
	bin := buildKwardend(t)

	for round := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		args := []string{"-c", `echo $$ > "$1" && shift && exec "$0" "$@"`, bin, cg.procs,
			"-listen", "127.0.0.1:0", "-interval", "1s", "-sources", "ebpf", "-db", db,
			"-docker-host", "unix://" + filepath.Join(dir, "no-docker.sock")}
		started := time.Now()
		p := startBinary(t, exec.CommandContext(ctx, "/bin/sh", args...))
		addr, _ := p.waitFor(t, "kwardend running")["listen"].(string)
		base := "http://" + addr

		// Healthy: a tick recorded, within 10 s of the start.
		for {
			var h struct {
				Status string `json:"status"`
				Tick   uint64 `json:"tick"`
			}
			code := getJSONQuiet(base+"/api/v1/health", &h)
			if code == 200 && h.Tick >= 1 {
				t.Logf("round %d: healthy (%s, tick %d) %.1f s after start", round, h.Status, h.Tick, time.Since(started).Seconds())
				break
			}
			if time.Since(started) > 10*time.Second {
				t.Fatalf("round %d: not healthy 10 s after start (status %q, tick %d, code %d)", round, h.Status, h.Tick, code)
			}
			select {
			case <-p.exited:
				t.Fatalf("round %d: kwardend exited: %v", round, p.cmd.ProcessState)
			case <-time.After(100 * time.Millisecond):
			}
		}

		// The backlog is folded into minute points, while it ticks: the
		// machine's and a container's day are 1440 points of 60 samples.
		q := url.Values{"from": {dayStart.Format(time.RFC3339)}, "to": {dayStart.Add(24*time.Hour - time.Second).Format(time.RFC3339)}}
		for {
			var sys struct {
				Points []store.SystemPoint `json:"points"`
			}
			var series struct {
				Points []store.ContainerPoint `json:"points"`
			}
			getJSONQuiet(base+"/api/v1/system?"+q.Encode(), &sys)
			getJSONQuiet(base+"/api/v1/containers/"+historytest.ID(41)+"/series?"+q.Encode(), &series)
			folded := len(sys.Points) == 1440 && len(series.Points) == 1440
			for i := range min(len(sys.Points), len(series.Points)) {
				folded = folded && sys.Points[i].Samples == 60 && series.Points[i].Samples == 60 && series.Points[i].CPUPercent == 41
			}
			if folded {
				t.Logf("round %d: the day is 1440 minute points %.1f s after start", round, time.Since(started).Seconds())
				break
			}
			if time.Since(started) > 2*time.Minute {
				t.Fatalf("round %d: the backlog is not folded 2 min after start: %d system and %d container points",
					round, len(sys.Points), len(series.Points))
			}
			select {
			case <-p.exited:
				t.Fatalf("round %d: kwardend exited: %v", round, p.cmd.ProcessState)
			case <-time.After(500 * time.Millisecond):
			}
		}

		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: kwardend did not stop", round)
		}
		cancel()
		if !p.cmd.ProcessState.Success() {
			t.Errorf("round %d: kwardend ended with %v", round, p.cmd.ProcessState)
		}
		kills := cg.oomKills(t)
		t.Logf("round %d: cgroup peak %d MiB of 256, OOM kills %d", round, cg.peak()>>20, kills)
		if kills != 0 {
			t.Fatalf("round %d: %d OOM kills in the 256 MiB cgroup", round, kills)
		}
	}
}

// getJSONQuiet fetches url into v and returns the status, or 0 when the
// request failed.
func getJSONQuiet(url string, v any) int {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if json.NewDecoder(resp.Body).Decode(v) != nil {
		return 0
	}
	return resp.StatusCode
}

// A damaged history stops kwardend, the real binary, with exit status 1
// and a message that names the file and the way out: never a panic or a
// signal (bbolt's assertion panics, SIGBUS and a nil dereference before).
// With -db-reset-damaged it is moved aside, kept, and a new one begins.
func TestDamagedHistory(t *testing.T) {
	dir := t.TempDir()
	sound := filepath.Join(dir, "sound.db")
	s, err := store.Open(sound, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := historytest.Write(s, historytest.Spec{From: time.Now().Add(-time.Hour), Ticks: 600, Containers: 20}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	orig, _ := os.ReadFile(sound)
	// The pages in use: a new file has 16 MiB of zeros for growth.
	used := (len(bytes.TrimRight(orig, "\x00")) + 4095) / 4096 * 4096
	variants := map[string][]byte{
		"truncated to half":   orig[:used/2/4096*4096],
		"truncated, odd size": orig[:used-1001],
		"not a database":      []byte(strings.Repeat("not a database\n", 600)),
		"pages overwritten": func() []byte {
			b := bytes.Clone(orig[:used])
			for i := 2 * 4096; i < len(b); i++ {
				b[i] = byte(i*7919 + i>>8)
			}
			return b
		}(),
	}
	bare := filepath.Join(dir, "bare.db")
	db, err := bolt.Open(bare, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket([]byte("meta"))
		return m.Put([]byte("schema"), []byte{0, 0, 0, 0, 0, 0, 0, byte(store.SchemaVersion)})
	})
	db.Close()
	variants["schema without buckets"], _ = os.ReadFile(bare)

	bin := buildKwardend(t)
	for name, content := range variants {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, bin, append(quietArgs(dir), "-db", path)...).CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("%s: %v, want exit status 1\n%s", name, err, out)
			continue
		}
		msg := string(out)
		if !strings.Contains(msg, path) || !strings.Contains(msg, "-db-reset-damaged") || strings.Contains(msg, "panic") ||
			strings.Contains(msg, "goroutine ") {
			t.Errorf("%s: unclear message:\n%s", name, msg)
		}
		t.Logf("%s: %s", name, firstLine(msg, "damaged"))
	}

	db1 := filepath.Join(dir, "not-a-database.db")
	r := startRun(t, nil, "-db", db1, "-db-reset-damaged")
	var h struct {
		Tick uint64 `json:"tick"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for getJSONQuiet("http://"+r.addr+"/api/v1/health", &h) != 200 || h.Tick == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no tick on the new history")
		}
		time.Sleep(100 * time.Millisecond)
	}
	matches, _ := filepath.Glob(db1 + ".damaged-*")
	if len(matches) != 1 {
		t.Fatalf("damaged file kept as %v", matches)
	}
	if b, _ := os.ReadFile(matches[0]); !strings.HasPrefix(string(b), "not a database") {
		t.Errorf("the damaged file was not kept as it was")
	}
}

// firstLine is the first line of s holding word.
func firstLine(s, word string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			return l
		}
	}
	return ""
}
