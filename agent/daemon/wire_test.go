package daemon

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kwarden/kwarden/internal/crosscheck"
)

// The wire type carries every field of the engine's result, under the
// same names: a field added to crosscheck.Result and not to the wire
// type fails here.
func TestWireCrossCheckKeepsEveryField(t *testing.T) {
	r := &crosscheck.Result{A: "kmod", B: "ebpf", AStartNs: 1, AEndNs: 2, BStartNs: 3, BEndNs: 4, Order: crosscheck.OrderAFirst,
		SpanNs: 5, Tolerance: crosscheck.Tolerance{TickNs: 6, IdleGrowthBytes: 7}, CPUs: 8, RSSSlackBytes: 9,
		InA: 10, InB: 11, Matched: 12, FieldsCompared: 13,
		Churn:      []crosscheck.Absence{{PID: 14, StartTimeNs: 15, Comm: "a", State: "R", OnlyIn: "kmod", Reason: "started"}},
		Missing:    []crosscheck.Absence{{PID: 16, StartTimeNs: 17, Comm: "b", State: "S", OnlyIn: "ebpf", Reason: "alive"}},
		Drift:      []crosscheck.Drift{{PID: 18, StartTimeNs: 19, Comm: "c", Field: "rss_bytes", A: "1", B: "2", Rule: "idle"}},
		Duplicates: []crosscheck.Duplicate{{PID: 20, StartTimeNs: 21, Comm: "d", View: "ebpf", Records: 2}}}
	var want, got map[string]any
	b, _ := json.Marshal(r)
	json.Unmarshal(b, &want)
	b, _ = json.Marshal(wireCrossCheck(r))
	json.Unmarshal(b, &got)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("the wire type differs from the engine's result:\nengine %v\nwire   %v", want, got)
	}
	if n := wireCrossCheck(r).Discrepancies(); n != r.Discrepancies() {
		t.Errorf("discrepancies %d, engine %d", n, r.Discrepancies())
	}
}
