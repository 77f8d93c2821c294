package grpctest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Every query the provisioned dashboards make (panels and annotations)
// answers through the plugin from both agents, without an error, with
// rows: what a classroom sees when it opens them.
func TestDashboardQueries(t *testing.T) {
	l := setUp(t)
	from, to := l.window()
	files, _ := filepath.Glob("../provisioning/dashboards/kwarden/*.json")
	if len(files) != 4 {
		t.Fatalf("%d dashboards, want 4", len(files))
	}
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []struct {
				Title   string            `json:"title"`
				Targets []json.RawMessage `json:"targets"`
			} `json:"panels"`
			Annotations struct {
				List []struct {
					Name   string          `json:"name"`
					Target json.RawMessage `json:"target"`
				} `json:"list"`
			} `json:"annotations"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		type asked struct {
			where string
			raw   json.RawMessage
		}
		var all []asked
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				all = append(all, asked{p.Title, tg})
			}
		}
		for _, a := range d.Annotations.List {
			all = append(all, asked{"annotation " + a.Name, a.Target})
		}
		for _, a := range all {
			var tg struct {
				QueryType string `json:"queryType"`
				View      string `json:"view"`
			}
			if err := json.Unmarshal(a.raw, &tg); err != nil {
				t.Fatal(err)
			}
			n++
			ans := l.g.queryData(t, l.ds, query{refID: "A", queryType: tg.QueryType, json: string(a.raw), from: from, to: to})["A"]
			ok, failed := ans.byAgent()
			if ans.err != "" || len(failed) > 0 || len(ok[l.a.name]) == 0 || len(ok[l.b.name]) == 0 {
				t.Errorf("%s: %s: error %q, failed agents %v, frames of %v", filepath.Base(f), a.where, ans.err, failed, keys(ok))
				continue
			}
			rows := 0
			for _, fs := range ok {
				for _, fr := range fs {
					rows += fr.Rows()
				}
			}
			// Without the kernel module on this host the cross-check has
			// nothing to disagree on: that table is empty, its frames there.
			if rows == 0 && !(tg.QueryType == "crosscheck" && tg.View == "discrepancies") {
				t.Errorf("%s: %s: no rows", filepath.Base(f), a.where)
			}
		}
	}
	t.Logf("%d dashboard queries answered", n)
}
