// Package webhook delivers kwardend's audit events to an HTTP(S) sink,
// the course's log sink done properly: a Sender follows the history
// (agent/store) and POSTs the events of chosen kinds (by default
// "policy.") in batches, as JSON:
//
//	POST <url>
//	Content-Type: application/json
//	Authorization: Bearer <token>          (when one is configured)
//
//	{"events": [{"id": "…", "time": "…", "kind": "policy.decision", "container_id": "…", "message": "…", "data": {…}}, …]}
//
// Each event is the API's apiv1.Event with an "id": the event's key in
// the history (32 hex digits), the same every time it is sent. A batch
// holds at most batch_max events and batch_max_bytes of JSON, but
// always one event, however large.
//
// # The history is the queue
//
// An event is in the store before the sender sees it, and the sender
// keeps only a position in the history (store.Tail), so the daemon's
// tick never waits for a sink: Notify, which the daemon calls after it
// records events, never blocks, and the sender also looks every poll
// interval. The position is the order events were recorded in, not
// their times, which would skip the outcomes of actions recorded late
// with their round's earlier time (agent/store/tail.go).
//
// # At least once, in order
//
// Batches go one at a time, in the order the events were recorded, each
// retried until the sink takes it: a sink that is down, slow or failing
// (a connection error, a timeout, 408, 429, 5xx, and redirects, which
// are not followed: a POST redirected by 301-303 becomes a GET whose 200
// would look like a delivery) gets the same batch again after an
// exponential backoff with jitter, min_backoff doubling to max_backoff,
// or after the Retry-After of a 429 or 503 when that is longer (but not
// longer than max_backoff). A batch the sink timed out on may well have
// been taken, so a sink can see an event twice: it dedupes on "id".
// Nothing is lost across a sink's outage, however long, as long as the
// history keeps the events (its retention, 7 days by default); what
// retention deletes before it was sent is logged and counted (Pruned).
//
// # Refusals
//
// Any other 4xx is the sink refusing that batch: sending it again would
// be refused again, and would stop every later event behind it. The
// batch is skipped, and so that nothing vanishes without a trace, the
// sender logs the refusal and records a "webhook.dropped" event in the
// history with the count, the status, the sink's answer and the first
// and last ids, so the events can be found there (/api/v1/events)
// and sent again by hand. Events of kind "webhook." are the sender's
// own reports and are never sent: a sink that refused a batch would
// refuse the report of it too, and each refusal would make another.
//
// # The position survives restarts
//
// The position of the last batch handled is saved in the history file
// itself (store.PutCursor, under "webhook/<name>") after each batch, so
// a restarted kwardend sends what it had not yet sent, and the batch in
// flight at the stop again. The history file and not a file beside it:
// a position means something only in the history it points into, and
// kept in it, it goes with it when a damaged history is moved aside or
// a backup restored, where a separate file would point past a new
// history's end and skip what it records. On its first start (no saved
// position) a sender begins at the newest event, not at the start of a
// week of history, unless from_start says so; that position is saved at
// once, so a restart before the first event does not skip ahead again.
package webhook
