package grpctest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
)

// window is a settled range ending a little in the past, so the plugin
// and the agent's own API read the same points; at 1,000 points and a
// 1 s interval the plugin asks for a 1 s step.
func (l *lab) window() (time.Time, time.Time) {
	if !l.until.IsZero() {
		return l.started.Truncate(time.Second), l.until
	}
	to := time.Now().Add(-2 * time.Second).Truncate(time.Second)
	return l.started.Truncate(time.Second), to
}

// ask runs one query of a type over the window and fails on an error.
func (l *lab) ask(t *testing.T, typ, js string) answer {
	t.Helper()
	from, to := l.window()
	a := l.g.queryData(t, l.ds, query{refID: "A", queryType: typ, json: js, from: from, to: to})["A"]
	if a.err != "" {
		t.Fatalf("%s %s: %s", typ, js, a.err)
	}
	return a
}

// rng is the window as the agent's client takes it, at a 1 s step.
func rng(from, to time.Time) client.Range {
	return client.Range{From: client.Time(from), To: client.Time(to), Step: time.Second}
}

func field(t *testing.T, f *data.Frame, name string) *data.Field {
	t.Helper()
	fd, i := f.FieldByName(name)
	if i < 0 {
		t.Fatalf("frame %q has no field %s", f.Name, name)
	}
	return fd
}

func floats(fd *data.Field) []float64 {
	out := make([]float64, fd.Len())
	for i := range out {
		v, _ := fd.NullableFloatAt(i)
		if v != nil {
			out[i] = *v
		}
	}
	return out
}

func strs(fd *data.Field) []string {
	out := make([]string, fd.Len())
	for i := range out {
		out[i] = fmt.Sprint(fd.At(i))
	}
	return out
}

// both runs check for each agent with its frames and its own client.
func (l *lab) both(t *testing.T, a answer, check func(t *testing.T, k *kwardend, frames data.Frames)) {
	t.Helper()
	ok, failed := a.byAgent()
	if len(failed) > 0 {
		t.Fatalf("agents failed: %v", failed)
	}
	for _, k := range []*kwardend{l.a, l.b} {
		t.Run(k.name, func(t *testing.T) {
			if len(ok[k.name]) == 0 {
				t.Fatalf("no frames labelled %s (agents: %v)", k.name, keys(ok))
			}
			check(t, k, ok[k.name])
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// Every query type, through the plugin process, against each agent's
// own API over the same range.
func TestQueries(t *testing.T) {
	l := setUp(t)
	from, to := l.window()
	l.until = to // every query of this test over the same range
	defer func() { l.until = time.Time{} }()

	t.Run("system", func(t *testing.T) {
		l.both(t, l.ask(t, "system", `{}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.System(ctx(t), rng(from, to))
			if err != nil {
				t.Fatal(err)
			}
			f := fs[0]
			if got, want := f.Rows(), len(api.Points); got != want || want < 5 {
				t.Fatalf("%d points, the API has %d", got, want)
			}
			for i, v := range floats(field(t, f, "mem_total_bytes")) {
				if v != float64(api.Points[i].MemTotalBytes) {
					t.Fatalf("point %d: mem_total_bytes %v, API %d", i, v, api.Points[i].MemTotalBytes)
				}
			}
			for i, v := range floats(field(t, f, "cpu_percent")) {
				if v != api.Points[i].CPUPercent {
					t.Fatalf("point %d: cpu_percent %v, API %v", i, v, api.Points[i].CPUPercent)
				}
			}
			for _, name := range []string{"mem_free_bytes", "mem_used_bytes"} {
				field(t, f, name)
			}
		})
	})

	t.Run("containers", func(t *testing.T) {
		l.both(t, l.ask(t, "containers", `{"includeRemoved":true,"fields":["rss_bytes","cpu_percent","read_bytes_per_second"],"limit":100}`),
			func(t *testing.T, k *kwardend, fs data.Frames) {
				api, err := k.c.Containers(ctx(t), client.ContainersQuery{All: true})
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				removed := 0
				for _, c := range api.Containers {
					if c.Created.After(to) || (!c.Removed.IsZero() && c.Removed.Before(from)) {
						continue
					}
					want = append(want, c.Name)
					if !c.Removed.IsZero() {
						removed++
					}
				}
				var got []string
				gotRemoved := 0
				for _, f := range fs {
					l := f.Fields[1].Labels
					got = append(got, l["container"])
					if l["removed"] == "true" {
						gotRemoved++
					}
				}
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) || removed == 0 || gotRemoved != removed {
					t.Fatalf("containers %v (%d removed), the API has %v (%d removed)", got, gotRemoved, want, removed)
				}
				f := fs[0]
				series, err := k.c.Series(ctx(t), f.Fields[1].Labels["id"], rng(from, to))
				if err != nil {
					t.Fatal(err)
				}
				rss := floats(field(t, f, "rss_bytes"))
				if len(rss) != len(series.Points) {
					t.Fatalf("%s: %d points, the API has %d", f.Name, len(rss), len(series.Points))
				}
				for i, p := range series.Points {
					if rss[i] != float64(p.RSSBytes) {
						t.Fatalf("%s point %d: rss %v, API %d", f.Name, i, rss[i], p.RSSBytes)
					}
				}
			})
	})

	t.Run("containers/kind", func(t *testing.T) {
		a := l.ask(t, "containers", `{"kind":"low","fields":["rss_bytes"]}`)
		for _, f := range a.frames {
			if k := f.Fields[1].Labels["kind"]; k != "low" {
				t.Errorf("%s: kind %q in a query of kind low", f.Name, k)
			}
		}
	})

	t.Run("containers/removed", func(t *testing.T) {
		l.both(t, l.ask(t, "containers", `{"view":"removed"}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			total := 0.0
			for _, v := range floats(field(t, fs[0], "removed")) {
				total += v
			}
			if total < 1 {
				t.Fatalf("%v removed in the range: the rig removed one", total)
			}
		})
	})

	t.Run("containers/table", func(t *testing.T) {
		l.both(t, l.ask(t, "containers", `{"view":"table","includeRemoved":true}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			if fs[0].Rows() < 2 {
				t.Fatalf("%d containers in the table", fs[0].Rows())
			}
		})
	})

	t.Run("top", func(t *testing.T) {
		l.both(t, l.ask(t, "top", `{"view":"table","by":"rss_bytes","limit":3}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.Top(ctx(t), client.TopQuery{From: client.Time(from), To: client.Time(to), By: "rss_bytes", N: 3})
			if err != nil {
				t.Fatal(err)
			}
			names, means := strs(field(t, fs[0], "name")), floats(field(t, fs[0], "mean"))
			if len(names) != len(api.Containers) || len(names) == 0 {
				t.Fatalf("top %v, the API's %d", names, len(api.Containers))
			}
			for i, c := range api.Containers {
				if names[i] != c.Name || means[i] != c.Mean {
					t.Fatalf("rank %d: %s %v, the API's %s %v", i+1, names[i], means[i], c.Name, c.Mean)
				}
			}
		})
	})

	t.Run("top/series", func(t *testing.T) {
		l.both(t, l.ask(t, "top", `{"by":"cpu_percent","limit":5}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.Top(ctx(t), client.TopQuery{From: client.Time(from), To: client.Time(to), By: "cpu_percent", N: 5})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != len(api.Containers) {
				t.Fatalf("%d series, the API ranks %d", len(fs), len(api.Containers))
			}
			for i, f := range fs {
				if l := f.Fields[1].Labels; l["container"] != api.Containers[i].Name || l["rank"] != fmt.Sprint(i+1) {
					t.Fatalf("series %d: %v, the API's %s", i, l, api.Containers[i].Name)
				}
			}
		})
	})

	t.Run("processes/count", func(t *testing.T) {
		l.both(t, l.ask(t, "processes", `{}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.System(ctx(t), rng(from, to))
			if err != nil {
				t.Fatal(err)
			}
			got := floats(field(t, fs[0], "processes"))
			if len(got) != len(api.Points) || got[len(got)-1] != float64(api.Points[len(got)-1].Processes) || got[0] < 10 {
				t.Fatalf("processes %v, the API's last %d", got, api.Points[len(api.Points)-1].Processes)
			}
		})
	})

	t.Run("processes/top", func(t *testing.T) {
		l.both(t, l.ask(t, "processes", `{"view":"top","limit":5}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.Processes(ctx(t), client.Time(to))
			if err != nil {
				t.Fatal(err)
			}
			pids := strs(field(t, fs[0], "pid"))
			if len(pids) != min(5, len(api.Processes)) || len(pids) == 0 {
				t.Fatalf("%d processes, the API has %d", len(pids), len(api.Processes))
			}
			for i := range pids {
				if pids[i] != fmt.Sprint(api.Processes[i].PID) {
					t.Fatalf("process %d: pid %s, the API's %d", i, pids[i], api.Processes[i].PID)
				}
			}
		})
	})

	events := func(t *testing.T, k *kwardend, kind string) []apiv1.Event {
		ans, err := k.c.Events(ctx(t), client.EventsQuery{From: client.Time(from), To: client.Time(to), Kind: kind, Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		return ans.Events
	}

	t.Run("events", func(t *testing.T) {
		l.both(t, l.ask(t, "events", `{}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api := events(t, k, "")
			if fs[0].Rows() != len(api) || len(api) == 0 {
				t.Fatalf("%d events, the API has %d", fs[0].Rows(), len(api))
			}
			kinds := strs(field(t, fs[0], "kind"))
			for i, e := range api {
				if kinds[i] != e.Kind {
					t.Fatalf("event %d: %s, the API's %s", i, kinds[i], e.Kind)
				}
			}
			t.Logf("%d events: %v", len(api), kinds)
		})
	})

	t.Run("events/annotations", func(t *testing.T) {
		l.both(t, l.ask(t, "events", `{"view":"annotations","eventKind":"policy."}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api := events(t, k, "policy.")
			if fs[0].Rows() != len(api) || len(api) == 0 {
				t.Fatalf("%d annotations, the API has %d policy events", fs[0].Rows(), len(api))
			}
			for _, name := range []string{"time", "title", "text", "tags"} {
				field(t, fs[0], name)
			}
		})
	})

	t.Run("crosscheck", func(t *testing.T) {
		l.both(t, l.ask(t, "crosscheck", `{}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.System(ctx(t), rng(from, to))
			if err != nil {
				t.Fatal(err)
			}
			disc := floats(field(t, fs[0], "discrepancies"))
			agree := floats(field(t, fs[0], "agreement"))
			hidden := floats(field(t, fs[0], "hidden"))
			if len(disc) != len(api.Points) {
				t.Fatalf("%d points, the API has %d", len(disc), len(api.Points))
			}
			seen := false
			for i, p := range api.Points {
				if disc[i] != float64(p.Discrepancies) || (agree[i] == 1) != (p.Discrepancies == 0) || hidden[i] != float64(p.Hidden) {
					t.Fatalf("point %d: %v discrepancies, agreement %v, %v hidden; the API's %d and %d", i, disc[i], agree[i], hidden[i],
						p.Discrepancies, p.Hidden)
				}
				seen = seen || p.Hidden > 0
			}
			if !seen {
				t.Fatal("no point counts the hidden process")
			}
		})
	})

	t.Run("crosscheck/discrepancies", func(t *testing.T) {
		l.both(t, l.ask(t, "crosscheck", `{"view":"discrepancies"}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			if got, want := fs[0].Rows(), len(events(t, k, "crosscheck.")); got != want {
				t.Fatalf("%d discrepancies, the API has %d crosscheck events", got, want)
			}
		})
	})

	t.Run("crosscheck/hidden", func(t *testing.T) {
		l.both(t, l.ask(t, "crosscheck", `{"view":"hidden"}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.CrossCheck(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if api.ProcView == nil || fs[0].Rows() != len(api.ProcView.Hidden) || fs[0].Rows() == 0 {
				t.Fatalf("%d hidden rows, the API's procview %+v", fs[0].Rows(), api.ProcView)
			}
			pids := field(t, fs[0], "pid")
			for i, h := range api.ProcView.Hidden {
				if pids.At(i).(int64) != int64(h.PID) || !strings.Contains(field(t, fs[0], "evidence").At(i).(string), "mounted over") {
					t.Fatalf("row %d: pid %v, the API's %+v", i, pids.At(i), h)
				}
			}
		})
	})

	t.Run("crosscheck/summary", func(t *testing.T) {
		l.both(t, l.ask(t, "crosscheck", `{"view":"summary"}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.CrossCheck(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := field(t, fs[0], "available").At(0).(bool); got != api.Available {
				t.Fatalf("available %v, the API's %v", got, api.Available)
			}
		})
	})

	t.Run("policy", func(t *testing.T) {
		l.both(t, l.ask(t, "policy", `{}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api, err := k.c.Policy(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if api.Active == nil || strs(field(t, fs[0], "policy"))[0] != api.Active.Name || api.Active.Name != "newest-per-kind" {
				t.Fatalf("policy %v, the API's %+v", strs(field(t, fs[0], "policy")), api.Active)
			}
		})
	})

	t.Run("policy/history", func(t *testing.T) {
		l.both(t, l.ask(t, "policy", `{"view":"history"}`), func(t *testing.T, k *kwardend, fs data.Frames) {
			api := events(t, k, "policy.")
			if fs[0].Rows() != len(api) || len(api) == 0 {
				t.Fatalf("%d rows, the API has %d policy events", fs[0].Rows(), len(api))
			}
			decisions := 0
			for _, e := range api {
				if e.Kind == "policy.decision" {
					decisions++
				}
			}
			t.Logf("%d policy events, %d decisions", len(api), decisions)
		})
	})
}

// CheckHealth names every agent, its version and the token's fate.
func TestHealth(t *testing.T) {
	l := setUp(t)
	r := l.g.checkHealth(t, l.ds)
	t.Logf("health: %v: %s", r.Status, r.Message)
	if r.Status.String() != "OK" {
		t.Fatalf("status %v: %s", r.Status, r.Message)
	}
	for _, want := range []string{"2 of 2 agents answer", "Agent lab-a", "Agent lab-b", "token accepted", l.a.url()} {
		if !strings.Contains(r.Message, want) {
			t.Errorf("message %q does not say %q", r.Message, want)
		}
	}
}

// The editor's dropdowns: agents, containers, kinds, policies.
func TestResources(t *testing.T) {
	l := setUp(t)
	type items struct {
		Items  []json.RawMessage `json:"items"`
		Errors []string          `json:"errors"`
	}
	count := func(all bool) int {
		n := 0
		for _, k := range []*kwardend{l.a, l.b} {
			api, err := k.c.Containers(ctx(t), client.ContainersQuery{All: all})
			if err != nil {
				t.Fatal(err)
			}
			n += len(api.Containers)
		}
		return n
	}
	for path, want := range map[string]int{"agents": 2, "containers": count(false), "containers?all=true": count(true),
		"kinds": 5, "policies": 2, "containers?agent=lab-a&all=true": -1} {
		status, body := l.g.callResource(t, l.ds, path)
		var got items
		if err := json.Unmarshal(body, &got); status != 200 || err != nil || len(got.Errors) > 0 ||
			(want >= 0 && len(got.Items) != want) || len(got.Items) == 0 {
			t.Errorf("%s: %d %s (%v): want %d items", path, status, body, err, want)
		}
	}
	if status, body := l.g.callResource(t, l.ds, "nope"); status != 404 || !strings.Contains(string(body), "want agents") {
		t.Errorf("nope: %d %s", status, body)
	}
}
