package webhook

import (
	"encoding/json"
	"fmt"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/store"
)

// Batch is the body of one POST. A receiver written in Go decodes it
// into this type.
type Batch struct {
	Events []BatchEvent `json:"events"`
}

// BatchEvent is an event as the API serves it, with the id a receiver
// dedupes on: the event's key in the history, 32 hex digits.
type BatchEvent struct {
	ID string `json:"id"`
	apiv1.Event
}

// Sizes of what a batch adds to its events' JSON as stored: the
// envelope, and per event its id and the comma between events. The
// store counts them against the byte bound when it reads a page
// (store.TailQuery.Overhead), so the page read is the batch sent.
const (
	batchEnvelope = len(`{"events":[]}`)
	eventOverhead = len(`"id":"0123456789abcdef0123456789abcdef",`) + len(`,`)
)

// encodeBatch is the body of a batch of evs.
func encodeBatch(evs []store.RecordedEvent) ([]byte, error) {
	b := Batch{Events: make([]BatchEvent, len(evs))}
	for i, e := range evs {
		b.Events[i] = BatchEvent{ID: e.ID, Event: e.Event}
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	return body, nil
}
