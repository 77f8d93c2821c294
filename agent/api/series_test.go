package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
)

// Several containers' series in one answer, as columns: each column is
// what the one-container route gives for that figure, a removed
// container is found by name, and what is refused says why.
func TestContainersSeriesSet(t *testing.T) {
	srv, _ := historyServer(t, 30,
		func(i int) store.ContainerPoint {
			return store.ContainerPoint{CPUPercent: float64(i), RSSBytes: 1 << 20, ReadBytes: uint64(i) << 10}
		},
		func(i int) store.ContainerPoint {
			return store.ContainerPoint{CPUPercent: 50, RSSBytes: uint64(i) << 20}
		})

	const rng = "from=now-1h&step=10s"
	code, _, body := get(t, srv, "/api/v1/containers/series?"+rng+"&id="+idA[:8]+"&id=kw-b&fields=cpu_percent,rss_bytes,read_bytes", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var set apiv1.SeriesSetAnswer
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Series) != 2 || set.Series[0].ID != idA || set.Series[1].ID != idB || strings.Join(set.Fields, ",") != "cpu_percent,rss_bytes,read_bytes" {
		t.Fatalf("answer: %+v", set)
	}
	for i, id := range []string{idA, idB} {
		code, _, body := get(t, srv, "/api/v1/containers/"+id+"/series?"+rng, "")
		var one apiv1.SeriesAnswer
		if code != 200 || json.Unmarshal([]byte(body), &one) != nil {
			t.Fatalf("%s: %d %s", id, code, body)
		}
		c := set.Series[i]
		if len(c.TimesMs) != len(one.Points) || c.Step != one.Step || len(c.Values) != 3 {
			t.Fatalf("%s: %d points by %s, alone %d by %s", id, len(c.TimesMs), c.Step, len(one.Points), one.Step)
		}
		for j, p := range one.Points {
			if c.TimesMs[j] != p.Time.UnixMilli() || c.Values[0][j] != p.CPUPercent || c.Values[1][j] != float64(p.RSSBytes) ||
				c.Values[2][j] != float64(p.ReadBytes) {
				t.Fatalf("%s point %d: %d %v %v %v, alone %+v", id, j, c.TimesMs[j], c.Values[0][j], c.Values[1][j], c.Values[2][j], p)
			}
		}
	}
	// Every figure by default.
	if _, m, _ := get(t, srv, "/api/v1/containers/series?"+rng+"&id=kw-a", ""); len(m["fields"].([]any)) != len(apiv1.SeriesFigures) {
		t.Errorf("default fields: %v", m["fields"])
	}

	many := strings.Repeat("&id=kw-a", apiv1.MaxSeriesSetIDs+1)
	for query, want := range map[string]struct {
		code int
		says string
	}{
		rng:                             {400, "want 1 to 200 containers"},
		rng + many:                      {400, "want 1 to 200 containers"},
		rng + "&id=kw-zz":               {404, "kw-zz"},
		rng + "&id=kw-a&fields=cpu,rss": {400, "want some of cpu_percent"},
		"from=now-1h&step=1s" + strings.Repeat("&id=kw-a", 150): {400, "fewer containers"},
		"from=now-1h&to=now-2h&id=kw-a":                         {400, "not before"},
	} {
		code, _, body := get(t, srv, "/api/v1/containers/series?"+query, "")
		if code != want.code || !strings.Contains(body, want.says) {
			t.Errorf("%.80s: %d %s, want %d saying %q", query, code, body, want.code, want.says)
		}
	}
}
