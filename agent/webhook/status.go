package webhook

import (
	"sync"
	"time"
)

// Status is what a sender has done since it started, for /metrics and
// the API. Counters only grow; the rest is the latest.
type Status struct {
	// Name and URL are the sink's (the URL without its password).
	Name string `json:"name"`
	URL  string `json:"url"`
	// Delivered counts the events the sink took (a 2xx), in Batches.
	Delivered uint64 `json:"delivered"`
	Batches   uint64 `json:"batches"`
	// Retried counts the POSTs that failed and were tried again.
	Retried uint64 `json:"retried"`
	// Dropped counts the events of the batches the sink refused (a
	// 4xx but 408 and 429), each recorded as a webhook.dropped event.
	Dropped uint64 `json:"dropped"`
	// Pruned counts the events, of every kind, that retention deleted
	// before the sender reached them.
	Pruned uint64 `json:"pruned"`
	// Waiting is the events recorded after the position, of every
	// kind, when the history was last read: an upper bound of those
	// still to send.
	Waiting uint64 `json:"waiting"`
	// LastError is the last failure or refusal, and when it came; it
	// stays after the sink recovers (LastDelivery says when it did).
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
	LastDelivery  time.Time `json:"last_delivery,omitzero"`
	// Failing counts the failed POSTs of the batch in hand: 0 when the
	// sink takes what it is sent.
	Failing int `json:"failing"`
	// Position is where the sender is in the history (store.Tail).
	Position string `json:"position"`
}

// status is a Status under its lock: the sender's goroutine writes it,
// Status reads it from any.
type status struct {
	mu sync.Mutex
	s  Status
}

func (st *status) update(f func(*Status)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f(&st.s)
}

func (st *status) get() Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.s
}
