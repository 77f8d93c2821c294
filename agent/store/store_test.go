package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/test/testenv"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tick(i int) Tick {
	at := t0.Add(time.Duration(i) * time.Second)
	return Tick{
		System: SystemPoint{Time: at, MemTotalBytes: 1000, MemUsedBytes: uint64(100 + i), CPUPercent: float64(i), Processes: 10},
		Containers: map[string]ContainerPoint{
			"a": {CPUPercent: 100, CPUNs: uint64(i) * 1e9, RSSBytes: 64 << 20, Class: "high"},
			"b": {CPUPercent: float64(i % 2), RSSBytes: 1 << 20, Class: "low"},
		},
		Info: []containers.Container{{ID: "a", Name: "kw-a", Running: true}, {ID: "b", Name: "kw-b", Running: true}},
		Top:  []ProcessPoint{{PID: int32(i + 1), Comm: "p", CPUPercent: float64(i)}},
	}
}

func TestWriteAndQuery(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	for i := range 10 {
		if err := s.WriteTick(tick(i)); err != nil {
			t.Fatal(err)
		}
	}
	pts, _, err := s.SystemRange(RangeQuery{From: t0.Add(2 * time.Second), To: t0.Add(5 * time.Second)})
	if err != nil || len(pts) != 4 || pts[0].MemUsedBytes != 102 || !pts[3].Time.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("system range: %v %+v", err, pts)
	}
	// 5 s steps: 0..4 and 5..9, CPU averaged.
	pts, _, _ = s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour), Step: 5 * time.Second})
	if len(pts) != 2 || pts[0].CPUPercent != 2 || pts[1].CPUPercent != 7 || pts[1].Samples != 5 {
		t.Fatalf("stepped: %+v", pts)
	}
	cp, _, err := s.ContainerSeries("a", RangeQuery{From: t0, To: t0.Add(time.Hour), Step: 10 * time.Second})
	if err != nil || len(cp) != 1 || cp[0].CPUPercent != 100 || cp[0].CPUNs != 9e9 || cp[0].Class != "high" {
		t.Fatalf("container a: %v %+v", err, cp)
	}
	if _, _, err := s.ContainerSeries("nope", RangeQuery{From: t0, To: t0.Add(time.Hour)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown container: %v", err)
	}
	when, top, err := s.Top(t0.Add(3500 * time.Millisecond))
	if err != nil || !when.Equal(t0.Add(3*time.Second)) || top[0].PID != 4 {
		t.Errorf("top at 3.5 s: %v %v %+v", err, when, top)
	}
}

func TestRemovedContainersStay(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	tk := tick(0)
	if err := s.WriteTick(tk); err != nil {
		t.Fatal(err)
	}
	tk = tick(1)
	tk.Info = []containers.Container{{ID: "a", Name: "kw-a", State: "removed", Removed: t0.Add(time.Second)}}
	delete(tk.Containers, "a")
	if err := s.WriteTick(tk); err != nil {
		t.Fatal(err)
	}
	info, err := s.ContainerInfo()
	if err != nil || len(info) != 2 {
		t.Fatalf("%v %+v", err, info)
	}
	for _, c := range info {
		if c.ID == "a" && c.Removed.IsZero() {
			t.Errorf("a not marked removed: %+v", c)
		}
	}
	if pts, _, err := s.ContainerSeries("a", RangeQuery{From: t0, To: t0.Add(time.Hour)}); err != nil || len(pts) != 1 {
		t.Errorf("removed container's series: %v %d points", err, len(pts))
	}
}

func TestEvents(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	evs := []Event{
		{Time: t0, Kind: "container.start", ContainerID: "a", Message: "started"},
		{Time: t0, Kind: "crosscheck.missing", Message: "pid 7 only in kmod"},
		{Time: t0.Add(time.Second), Kind: "container.die", ContainerID: "a", Message: "died"},
	}
	if err := s.AddEvents(evs...); err != nil {
		t.Fatal(err)
	}
	got, err := s.Events(EventQuery{From: t0, To: t0.Add(time.Minute), Kind: "container."})
	if err != nil || len(got.Events) != 2 || got.Events[0].Kind != "container.start" || got.Events[1].Kind != "container.die" || got.Next != "" {
		t.Errorf("container events: %v %+v", err, got)
	}
	if got, _ := s.Events(EventQuery{From: t0, To: t0.Add(time.Minute), Limit: 2}); len(got.Events) != 2 || got.Events[1].Kind != "crosscheck.missing" || got.Next == "" {
		t.Errorf("same-ns events out of order or limit ignored: %+v", got)
	}
}

func TestPrune(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour, Retention: 24 * time.Hour})
	for i := range 120 { // two minutes of 1 s points
		if err := s.WriteTick(tick(i)); err != nil {
			t.Fatal(err)
		}
	}
	tk := tick(200)
	tk.Info = []containers.Container{{ID: "b", Removed: t0.Add(200 * time.Second)}}
	s.WriteTick(tk)
	// History is pruned against its newest point: one two hours on.
	late := tick(7200)
	late.Info = nil
	s.WriteTick(late)
	st, err := s.Prune(t0.Add(2 * time.Hour))
	if err != nil || st.Folded != 3*121 {
		t.Fatalf("prune: %+v %v", st, err)
	}
	pts, _, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour)})
	if len(pts) != 3 || pts[0].Samples != 60 || pts[0].CPUPercent != 29.5 {
		t.Errorf("minute points: %+v", pts)
	}
	// A day later everything is past retention; b was removed, it goes.
	later := tick(48 * 3600)
	later.Info = nil
	s.WriteTick(later)
	st, _ = s.Prune(t0.Add(48 * time.Hour))
	info, _ := s.ContainerInfo()
	if len(info) != 1 || info[0].ID != "a" || st.Deleted == 0 {
		t.Errorf("after retention: %+v, %+v", info, st)
	}
	if pts, _, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour)}); len(pts) != 0 {
		t.Errorf("points past retention kept: %d", len(pts))
	}
}

func TestSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Errorf("schema %d", v)
	}
	// A newer build's database is refused, not rewritten.
	if err := setSchema(s, 99); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrDamaged) {
		t.Errorf("schema 99: %v", err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNewerSchema) {
		t.Errorf("read-only open of schema 99: %v", err)
	}
}

// The test binary doubles as a writer the test kills.
func TestMain(m *testing.M) {
	if path := os.Getenv("KWARDEN_STORE_WRITER"); path != "" {
		s, err := Open(path, Options{})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		for i := 0; ; i++ {
			if err := s.WriteTick(tick(i)); err != nil {
				fmt.Println("error", err)
				os.Exit(2)
			}
			fmt.Println("wrote", i+1)
		}
	}
	os.Exit(m.Run())
}

// kill -9 during writes: the file opens, and holds every tick the writer
// reported committed, plus at most the one in flight.
func TestSurvivesSIGKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KWARDEN_STORE_WRITER="+path)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		committed := 0
		for sc.Scan() && committed < 50+round*37 {
			f := strings.Fields(sc.Text())
			if f[0] != "wrote" {
				t.Fatalf("writer: %s", sc.Text())
			}
			committed, _ = strconv.Atoi(f[1])
		}
		cmd.Process.Signal(syscall.SIGKILL)
		// The writer ran on while this read: what it reported before
		// it died is still in the pipe.
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "wrote" {
				committed, _ = strconv.Atoi(f[1])
			}
		}
		cmd.Wait()
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: open after SIGKILL: %v", round, err)
		}
		pts, _, err := s.SystemRange(RangeQuery{From: t0, To: t0.Add(24 * time.Hour)})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Each round rewrites ticks from 0 and goes further than the last.
		if len(pts) < committed || len(pts) > committed+1 {
			t.Errorf("round %d: %d points after %d committed ticks", round, len(pts), committed)
		}
		t.Logf("round %d: %d committed, %d stored", round, committed, len(pts))
	}
}

// A full disk is a clean error; what was written before stays readable.
func TestFullDisk(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "mounting a small tmpfs needs root")
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		testenv.RequireNoErr(t, err, "mount tmpfs")
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	path := filepath.Join(dir, "h.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	written := 0
	for i := 0; i < 100000 && werr == nil; i++ {
		tk := tick(i)
		tk.Top = make([]ProcessPoint, 50) // fill faster
		if werr = s.WriteTick(tk); werr == nil {
			written++
		}
	}
	s.Close()
	if werr == nil || !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("after %d ticks: %v, want ENOSPC", written, werr)
	}
	t.Logf("disk full after %d ticks: %v", written, werr)
	s, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen a full database: %v", err)
	}
	defer s.Close()
	pts, _, err := s.SystemRange(RangeQuery{From: t0, To: t0.Add(48 * time.Hour)})
	if err != nil || len(pts) != written {
		t.Errorf("%d points readable, %d written: %v", len(pts), written, err)
	}
}

// Removed containers page newest first; Find resolves an id, a prefix
// and a name; NotRemoved lists what is not known removed.
func TestContainerLookups(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{})
	var info []containers.Container
	for i := range 5 {
		c := containers.Container{ID: fmt.Sprintf("%02d%062d", i, 0), Name: fmt.Sprintf("c%d", i), Running: i%2 == 0}
		if i%2 == 1 {
			c.Removed, c.State = t0.Add(time.Duration(i)*time.Minute), "removed"
		}
		info = append(info, c)
	}
	if err := s.WriteTick(Tick{System: SystemPoint{Time: t0}, Info: info}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Removed(1, "")
	if err != nil || len(p.Containers) != 1 || p.Containers[0].Name != "c3" || p.Next == "" {
		t.Fatalf("first page: %+v %v", p, err)
	}
	p, _ = s.Removed(5, p.Next)
	if len(p.Containers) != 1 || p.Containers[0].Name != "c1" || p.Next != "" {
		t.Errorf("second page: %+v", p)
	}
	if _, err := s.Removed(1, "xyz"); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	for ref, want := range map[string]string{info[2].ID: info[2].ID, "02": info[2].ID, "c4": info[4].ID} {
		if id, err := s.Find(ref); err != nil || id != want {
			t.Errorf("Find(%q) = %q, %v", ref, id, err)
		}
	}
	if _, err := s.Find("0"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := s.Find("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	live, err := s.NotRemoved()
	if err != nil || len(live) != 3 {
		t.Errorf("not removed: %d %v", len(live), err)
	}
}

// A step's discrepancies are summed (each is an event), its hidden
// processes taken at their peak (a count of what is hidden at once).
func TestFoldCrossCheckCounts(t *testing.T) {
	pts := []SystemPoint{
		{Time: t0, Discrepancies: 1, Hidden: 2},
		{Time: t0.Add(time.Second), Discrepancies: 2, Hidden: 3},
		{Time: t0.Add(2 * time.Second), Hidden: 1},
	}
	got := foldSystem(pts, time.Minute)
	if len(got) != 1 || got[0].Discrepancies != 3 || got[0].Hidden != 3 || got[0].Samples != 3 {
		t.Errorf("folded %+v", got)
	}
}
