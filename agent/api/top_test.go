package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
)

// The ranking through the API: a removed container is ranked with the
// running one and says when it went; rank=peak and n change the answer;
// a range holding more points than a ranking reads is a 400 that says
// what to do, not a 500 or a slow answer.
func TestContainersTop(t *testing.T) {
	// b lives 20 s: 40 % for 19 ticks and one of 5 %; a is flat at 10 %
	// throughout.
	srv, be := historyServer(t, 20,
		func(int) store.ContainerPoint {
			return store.ContainerPoint{CPUPercent: 10, RSSBytes: 1 << 20, RAMPercent: 0.1}
		},
		func(i int) store.ContainerPoint {
			cpu := 40.0
			if i == 0 {
				cpu = 5
			}
			return store.ContainerPoint{CPUPercent: cpu, RSSBytes: 128 << 20, RAMPercent: 12.5}
		})
	top := func(query string) apiv1.TopAnswer {
		t.Helper()
		code, _, body := get(t, srv, "/api/v1/containers/top?from=now-1h&"+query, "")
		if code != 200 {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		var ans apiv1.TopAnswer
		if err := json.Unmarshal([]byte(body), &ans); err != nil {
			t.Fatal(err)
		}
		return ans
	}
	ans := top("by=ram")
	if len(ans.Containers) != 2 || ans.Present != 2 || ans.By != apiv1.FigureRAMPercent {
		t.Fatalf("by ram: %+v", ans)
	}
	first := ans.Containers[0]
	if first.Name != "kw-b" || first.Kind != "ram" || !first.Removed.Equal(t0.Add(20*time.Second)) || first.Samples != 20 {
		t.Errorf("by ram, the removed kw-b first: %+v", first)
	}
	if ans := top("by=cpu&n=1"); len(ans.Containers) != 1 || ans.Containers[0].Name != "kw-b" || ans.Containers[0].Mean != (19*40+5)/20.0 {
		t.Errorf("by cpu, one: %+v", ans.Containers)
	}
	if ans := top("by=memory_working_set_bytes&rank=peak"); ans.Rank != apiv1.RankPeak || len(ans.Containers) != 2 {
		t.Errorf("by working set peak: %+v", ans)
	}

	end := t0.Add(time.Minute)
	tight := httptest.NewServer(New(be, Options{now: func() time.Time { return end }, topScan: 30}))
	defer tight.Close()
	code, m, body := get(t, tight, "/api/v1/containers/top?by=cpu&from=now-1h", "")
	if msg, _ := m["error"].(string); code != 400 || !strings.Contains(msg, "narrow the range") {
		t.Errorf("a range beyond the scan bound: %d %s", code, body)
	}
	if code, _, _ := get(t, tight, "/api/v1/containers/top?by=cpu&from=now-10s", ""); code != 200 {
		t.Errorf("ten seconds within the bound: %d", code)
	}
}
