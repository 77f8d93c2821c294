// Command querybench measures what the heaviest API queries cost the
// daemon's ticks: the real daemon (no kernel view, no Docker engine, a
// 100 ms interval) and its API over a day of history of 100 containers,
// first alone, then under 20 clients asking without pause for a month
// of system points, a month of a container's series and 10,000 events.
// It reports tick gaps and the daemon's anonymous memory in both
// phases, and the answers served.
//
//	go run ./test/cmd/querybench [-clients 20] [-for 20s]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/procfs"
	"github.com/kwarden/kwarden/test/historytest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "querybench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	clients := flag.Int("clients", 20, "clients asking at once")
	phase := flag.Duration("for", 20*time.Second, "length of each phase")
	loadFrom := flag.String("load", "", "internal: be the clients, asking this API until stdin closes")
	maxQueries := flag.Int("max-queries", 0, "the API's MaxQueries (0: its default)")
	flag.Parse()
	if *loadFrom != "" {
		return clientLoad(*loadFrom, *clients)
	}
	dir, err := os.MkdirTemp("", "querybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "history.db")
	s, err := store.Open(db, store.Options{})
	if err != nil {
		return err
	}
	now := time.Now()
	if err := historytest.Write(s, historytest.Spec{From: now.Add(-24 * time.Hour), Ticks: 24*3600 - 60, Containers: 100}); err != nil {
		return err
	}
	var evs []store.Event
	for i := range 50_000 {
		evs = append(evs, store.Event{Time: now.Add(-24*time.Hour + time.Duration(i)*time.Second), Kind: "crosscheck.drift",
			Message: "pid 1234 (sleep) rss_bytes: kmod 1 MiB, ebpf 1 MiB: a message of a typical length"})
	}
	if err := s.AddEvents(evs...); err != nil {
		return err
	}
	s.Close()
	d, err := daemon.New(ctx, daemon.Config{Interval: 100 * time.Millisecond, Sources: source.Module,
		KmodRoot: filepath.Join(dir, "none"), DockerHost: "unix://" + filepath.Join(dir, "none.sock"), DBPath: db,
		PruneEvery: time.Hour}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer d.Close()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go d.Run(dctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api.New(d, api.Options{MaxQueries: *maxQueries})}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	time.Sleep(3 * time.Second) // the first prune pass, the first ticks

	fmt.Printf("%-22s %8s %9s %9s %9s %9s %12s\n", "phase", "ticks", "gap p50", "gap p99", "gap max", "anon MiB", "answers")
	alone := measure(d, *phase, nil)
	alone.print("alone")
	// The clients are another process, as they are in use: in the
	// daemon's own, twenty client goroutines would queue before its tick.
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var report strings.Builder
	load := func(stop <-chan struct{}) {
		cmd := exec.Command(exe, "-load", base, "-clients", strconv.Itoa(*clients))
		in, _ := cmd.StdinPipe()
		cmd.Stdout = &report
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "querybench: clients:", err)
			return
		}
		<-stop
		in.Close()
		cmd.Wait()
	}
	loaded := measure(d, *phase, load)
	loaded.print(fmt.Sprintf("%d clients", *clients))
	fmt.Print(report.String())
	return nil
}

// clientLoad asks base's heaviest queries from n clients at once until
// stdin closes, then prints what was served.
func clientLoad(base string, n int) error {
	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	var served, bytes, refused atomic.Int64
	var wg sync.WaitGroup
	paths := []string{"/api/v1/system?from=now-31d", "/api/v1/containers/" + historytest.ID(42) + "/series?from=now-31d",
		"/api/v1/events?from=now-31d&limit=10000"}
	for c := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Timeout: time.Minute}
			for i := c; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := cl.Get(base + paths[i%len(paths)])
				if err != nil {
					continue
				}
				m, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					served.Add(1)
					bytes.Add(m)
				case 503:
					refused.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("served %d answers, %.0f MB in all, %.1f MB on average; %d waited too long (503)\n", served.Load(),
		float64(bytes.Load())/1e6, float64(bytes.Load())/1e6/float64(max(served.Load(), 1)), refused.Load())
	return nil
}

type figures struct {
	ticks          int
	p50, p99, gmax time.Duration
	anon           int
}

func (f figures) print(name string) {
	fmt.Printf("%-22s %8d %8.0fms %8.0fms %8.0fms %9d\n", name, f.ticks, ms(f.p50), ms(f.p99), ms(f.gmax), f.anon)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// measure watches the daemon's ticks for d while load runs.
func measure(d *daemon.Daemon, length time.Duration, load func(<-chan struct{})) figures {
	stop := make(chan struct{})
	done := make(chan struct{})
	if load != nil {
		go func() { load(stop); close(done) }()
	} else {
		close(done)
	}
	var f figures
	var times []time.Time
	last := d.State().Tick
	end := time.Now().Add(length)
	for time.Now().Before(end) {
		st := d.State()
		if st.Tick != last {
			last = st.Tick
			times = append(times, st.Time)
		}
		f.anon = max(f.anon, anonMiB())
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	<-done
	var gaps []time.Duration
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i].Sub(times[i-1]))
	}
	slices.Sort(gaps)
	f.ticks = len(times)
	if len(gaps) > 0 {
		f.p50, f.p99, f.gmax = gaps[len(gaps)/2], gaps[len(gaps)*99/100], gaps[len(gaps)-1]
	}
	return f
}

// anonMiB is the process's anonymous resident memory (the heap and
// stacks, not the mapped file).
func anonMiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	st, _ := procfs.ParseStatus(b)
	return int(st.RssAnon >> 20)
}
