package webhook

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

// A batch is the API's events with their ids, and no longer than the
// store's sizes with the overhead say: the page read fits the bound.
func TestBatchEncoding(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	orig := []store.RecordedEvent{
		{ID: "0123456789abcdef0123456789abcdef", Event: store.Event{Time: at, Kind: "policy.decision", ContainerID: "c1",
			Message: "kill <kw-a> & \"friends\" \u00e9\u2028", Data: map[string]string{"z": "1", "a": "\x01", "outcome": "done"}}},
		{ID: "fedcba9876543210fedcba9876543210", Event: store.Event{Time: at.UTC(), Kind: "policy.started", Message: "plain"}},
		{ID: "00000000000000000000000000000003", Event: store.Event{Time: at, Kind: "policy.crashed", Message: "\xff bad utf-8"}},
	}
	// As the store holds them and Tail gives them back.
	evs := make([]store.RecordedEvent, len(orig))
	var sizes []int
	for i, e := range orig {
		stored, _ := json.Marshal(e.Event)
		sizes = append(sizes, len(stored))
		evs[i] = e
		evs[i].Event = store.Event{}
		json.Unmarshal(stored, &evs[i].Event)
	}
	bound := func(sizes []int) int {
		n := batchEnvelope - len(",")
		for _, s := range sizes {
			n += s + eventOverhead
		}
		return n
	}
	// Valid UTF-8 comes back byte for byte: the bound is exact.
	body, err := encodeBatch(evs[:2])
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != bound(sizes[:2]) {
		t.Errorf("body of %d bytes, the bound counts %d:\n%s", len(body), bound(sizes[:2]), body)
	}
	// Invalid UTF-8 was stored as an escaped U+FFFD, sent as the rune.
	if body, _ := encodeBatch(evs); len(body) > bound(sizes) {
		t.Errorf("body of %d bytes, above the bound %d", len(body), bound(sizes))
	}
	var b Batch
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 2 || b.Events[0].ID != evs[0].ID || b.Events[1].ID != evs[1].ID ||
		!reflect.DeepEqual(b.Events[0].Data, evs[0].Data) || !b.Events[0].Time.Equal(at) || b.Events[0].ContainerID != "c1" {
		t.Errorf("decoded %+v", b)
	}
	var raw struct {
		Events []map[string]any `json:"events"`
	}
	json.Unmarshal(body, &raw)
	for _, f := range []string{"id", "time", "kind", "container_id", "message", "data"} {
		if _, ok := raw.Events[0][f]; !ok {
			t.Errorf("no %q in %v", f, raw.Events[0])
		}
	}
}
