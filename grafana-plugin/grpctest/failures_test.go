package grpctest

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/client"
)

// RunStream follows an agent's stream: a frame a tick, the machine's
// memory as the agent has it.
func TestStream(t *testing.T) {
	l := setUp(t)
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	frames := l.g.runStream(t, c, l.ds, "system/lab-a")
	h, err := l.a.c.System(c, rng(time.Now().Add(-5*time.Second), time.Now()))
	if err != nil || len(h.Points) == 0 {
		t.Fatalf("system: %v", err)
	}
	for i := range 3 {
		f := next(t, frames, 10*time.Second)
		if v := floats(field(t, f, "mem_total_bytes"))[0]; v != float64(h.Points[0].MemTotalBytes) {
			t.Fatalf("frame %d: mem_total_bytes %v, the API's %d", i, v, h.Points[0].MemTotalBytes)
		}
		if f.Fields[1].Labels["agent"] != "lab-a" {
			t.Fatalf("frame %d labelled %v", i, f.Fields[1].Labels)
		}
	}
	cf := l.g.runStream(t, c, l.ds, "containers/lab-b")
	f := next(t, cf, 10*time.Second)
	api, err := l.b.c.Containers(c, client.ContainersQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var running []string
	for _, c := range api.Containers {
		if c.Running {
			running = append(running, c.Name)
		}
	}
	names := strs(field(t, f, "container"))
	if f.Rows() == 0 || len(names) > len(running)+1 || len(names)+1 < len(running) {
		t.Fatalf("containers stream: %v, the API's running containers %v", names, running)
	}
}

func next(t *testing.T, frames <-chan *data.Frame, within time.Duration) *data.Frame {
	t.Helper()
	select {
	case f, ok := <-frames:
		if !ok {
			t.Fatal("the stream ended")
		}
		return f
	case <-time.After(within):
		t.Fatalf("no frame within %v", within)
	}
	return nil
}

// An agent restarted under a stream: the channel lives on and frames of
// the new process (its ticks counted from 1 again) follow.
func TestStreamAcrossAgentRestart(t *testing.T) {
	l := setUp(t)
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	frames := l.g.runStream(t, c, l.ds, "system/lab-b")
	before := next(t, frames, 10*time.Second)
	tickBefore := field(t, before, "tick").At(0).(int64)
	l.b.stop()
	l.b.start(t)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				t.Fatal("the stream ended with the agent")
			}
			if tick := field(t, f, "tick").At(0).(int64); tick < tickBefore {
				t.Logf("tick %d before the restart, %d after", tickBefore, tick)
				if !l.g.alive() {
					t.Fatal("the plugin died")
				}
				return
			}
		case <-deadline:
			t.Fatal("no frame of the restarted agent within 60 s")
		}
	}
}

// Each failure is a clear error under its RefID, the other queries of
// the request still answer, and the plugin lives on.
func TestFailures(t *testing.T) {
	l := setUp(t)
	from, to := l.window()

	t.Run("wrong token", func(t *testing.T) {
		ds := l.ds
		ds.id, ds.token = 2, "not-the-token-0123456789"
		r := l.g.checkHealth(t, ds)
		if r.Status.String() != "ERROR" || !strings.Contains(r.Message, "token was refused") || !strings.Contains(r.Message, "2 of 2 agents failed") {
			t.Errorf("health with a wrong token: %v: %s", r.Status, r.Message)
		}
		a := l.g.queryData(t, ds, query{refID: "A", queryType: "system", json: `{}`, from: from, to: to})["A"]
		if !strings.Contains(a.err, "token was refused") {
			t.Errorf("query with a wrong token: %q", a.err)
		}
	})

	t.Run("one agent down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + ln.Addr().String()
		ln.Close() // nothing listens there now
		ds := l.ds
		ds.id = 3
		ds.agents = append(append([]agentSetting(nil), l.ds.agents...), agentSetting{Name: "lab-down", URL: dead})
		r := l.g.checkHealth(t, ds)
		if r.Status.String() != "ERROR" || !strings.Contains(r.Message, "1 of 3 agents failed") || !strings.Contains(r.Message, "lab-down") ||
			!strings.Contains(r.Message, "Agent lab-a") {
			t.Errorf("health with an agent down: %v: %s", r.Status, r.Message)
		}
		a := l.g.queryData(t, ds, query{refID: "A", queryType: "system", json: `{}`, from: from, to: to})["A"]
		ok, failed := a.byAgent()
		if a.err != "" || len(ok["lab-a"]) != 1 || len(ok["lab-b"]) != 1 || !strings.Contains(failed["lab-down"], "connection refused") {
			t.Errorf("query with an agent down: error %q, frames of %v, failed %v", a.err, keys(ok), failed)
		}
		// All agents down: the answer is the error.
		ds.id, ds.agents = 4, []agentSetting{{Name: "lab-down", URL: dead}}
		a = l.g.queryData(t, ds, query{refID: "A", queryType: "system", json: `{}`, from: from, to: to})["A"]
		if !strings.Contains(a.err, "agent lab-down") {
			t.Errorf("query with every agent down: %q", a.err)
		}
	})

	t.Run("bad queries", func(t *testing.T) {
		now := time.Now()
		ans := l.g.queryData(t, l.ds,
			query{refID: "malformed", queryType: "system", json: `{"fields":`, from: from, to: to},
			query{refID: "unknown", queryType: "nope", json: `{}`, from: from, to: to},
			query{refID: "empty", queryType: "system", json: `{}`, from: now, to: now},
			query{refID: "reversed", queryType: "system", json: `{}`, from: now, to: now.Add(-time.Hour)},
			query{refID: "huge", queryType: "system", json: `{}`, from: now.Add(-60 * 24 * time.Hour), to: now},
			query{refID: "unknown agent", queryType: "system", json: `{"agents":["lab-z"]}`, from: from, to: to},
			query{refID: "good", queryType: "system", json: `{}`, from: from, to: to})
		for ref, want := range map[string]string{"malformed": "malformed query JSON", "unknown": `query type "nope"`,
			"empty": "empty time range", "reversed": "empty time range", "huge": "longer than an agent answers",
			"unknown agent": `no agent named "lab-z"`} {
			if !strings.Contains(ans[ref].err, want) {
				t.Errorf("%s: error %q, want one saying %q", ref, ans[ref].err, want)
			}
		}
		if ans["good"].err != "" || len(ans["good"].frames) != 2 {
			t.Errorf("the good query beside them: %q, %d frames", ans["good"].err, len(ans["good"].frames))
		}
	})

	// Hundreds of queries of every kind, failing ones among them: the
	// plugin neither dies nor keeps growing.
	t.Run("memory", func(t *testing.T) {
		round := func() {
			l.g.queryData(t, l.ds,
				query{refID: "A", queryType: "containers", json: `{"includeRemoved":true}`, from: from, to: to},
				query{refID: "B", queryType: "top", json: `{}`, from: from, to: to},
				query{refID: "C", queryType: "events", json: `{}`, from: from, to: to},
				query{refID: "D", queryType: "system", json: `{"fields":`, from: from, to: to})
		}
		for range 30 {
			round()
		}
		warm := l.g.rssKiB(t)
		for range 150 {
			round()
		}
		after := l.g.rssKiB(t)
		t.Logf("plugin RSS: %d KiB after 30 rounds, %d KiB after 150 more", warm, after)
		if after > warm+32*1024 {
			t.Errorf("the plugin grew from %d to %d KiB over 150 rounds", warm, after)
		}
		if !l.g.alive() {
			t.Fatal("the plugin died")
		}
	})
}
