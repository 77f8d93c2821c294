package models

import (
	"strings"
	"testing"
)

func TestParseQueryDefaults(t *testing.T) {
	q, err := ParseQuery("top", []byte(`{"refId":"A","datasource":{"uid":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if q.View != "series" || q.By != "cpu_percent" || q.Rank != "mean" || q.Limit != DefaultTopN {
		t.Errorf("top defaults: %+v", q)
	}
	// Grafana's queryType wins over the JSON's.
	q, err = ParseQuery("events", []byte(`{"queryType":"system"}`))
	if err != nil || q.QueryType != "events" || q.View != "table" || q.Limit != DefaultEventLimit {
		t.Errorf("events: %+v, %v", q, err)
	}
	// Without Grafana's, the JSON's counts.
	if q, err = ParseQuery("", []byte(`{"queryType":"crosscheck","view":"summary"}`)); err != nil || q.QueryType != "crosscheck" {
		t.Errorf("crosscheck from the JSON: %+v, %v", q, err)
	}
}

func TestParseQueryRefuses(t *testing.T) {
	for _, c := range []struct{ typ, json, want string }{
		{"system", `{"fields":`, "malformed query JSON"},
		{"system", `{"fields":"cpu"}`, "malformed query JSON"},
		{"nope", `{}`, `query type "nope"`},
		{"", `{}`, `query type ""`},
		{"events", `{"view":"pie"}`, `view "pie"`},
		{"system", `{"fields":["rss_bytes"]}`, `field "rss_bytes"`},
		{"containers", `{"class":"medium"}`, `class "medium"`},
		{"containers", `{"name":"(["}`, "not a regular expression"},
		{"top", `{"by":"cpu_ns"}`, `by "cpu_ns"`},
		{"top", `{"rank":"median"}`, `rank "median"`},
		{"top", `{"limit":1000}`, "limit 1000"},
		{"containers", `{"limit":-1}`, "limit -1"},
	} {
		_, err := ParseQuery(c.typ, []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.typ, c.json, err, c.want)
		}
	}
}

// Every query type has views, and its default is the first.
func TestViews(t *testing.T) {
	for _, typ := range QueryTypes {
		q, err := ParseQuery(typ, nil)
		if err != nil || q.View != Views[typ][0] {
			t.Errorf("%s: %+v, %v", typ, q, err)
		}
	}
}
