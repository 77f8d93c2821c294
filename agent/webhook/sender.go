package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/store"
)

// KindDropped is the event recorded for each batch a sink refused.
const KindDropped = ownKinds + "dropped"

// Options are what kwardend gives a sender besides its Config.
type Options struct {
	// Log receives failures, refusals and recoveries; nil discards.
	Log *slog.Logger
}

// Sender delivers one sink's events. Create with New, drive with Run,
// wake with Notify; Status and Notify are safe from any goroutine.
type Sender struct {
	st     *store.Store
	cfg    Config
	post   *poster
	log    *slog.Logger
	url    string // without its password: for logs and events
	cursor string // the name of the saved position
	wake   chan struct{}
	status status

	// Owned by Run's goroutine.
	position string    // after the last batch handled
	saved    string    // the position last saved
	savedAt  time.Time // when
}

// idleSave is how often a position that moved past other kinds' events
// only is saved: losing it costs a restart a rescan of them, not an
// event, so it need not cost a write every tick.
const idleSave = 30 * time.Second

// New checks cfg and places the sender in the history: at its saved
// position, or on a first start at the newest event (or the first, with
// FromStart), which it saves at once. It does not contact the sink. The
// errors are the configuration's (a URL that is not http or https wraps
// ErrBadURL) and the history's.
func New(st *store.Store, cfg Config, opts Options) (*Sender, error) {
	cfg, u, err := cfg.checked()
	if err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Sender{st: st, cfg: cfg, post: newPoster(u, cfg.Token, cfg.Timeout), cursor: "webhook/" + cfg.Name,
		wake: make(chan struct{}, 1)}
	s.url = u.Redacted()
	s.log = opts.Log.With("webhook", cfg.Name, "url", s.url)
	s.status.s = Status{Name: cfg.Name, URL: s.url}
	pos, ok, err := st.Cursor(s.cursor)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", cfg.Name, err)
	}
	if !ok {
		if !cfg.FromStart {
			if pos, err = st.TailEnd(); err != nil {
				return nil, fmt.Errorf("webhook %s: %w", cfg.Name, err)
			}
		}
		if err := st.PutCursor(s.cursor, pos); err != nil {
			return nil, fmt.Errorf("webhook %s: %w", cfg.Name, err)
		}
		s.log.Info("webhook: first start", "from_start", cfg.FromStart, "position", pos)
	}
	s.position, s.saved, s.savedAt = pos, pos, time.Now()
	s.status.s.Position = pos
	return s, nil
}

// Notify tells the sender that events were recorded. It never blocks:
// a wake-up already pending stands for this one too.
func (s *Sender) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Status is what the sender has done so far.
func (s *Sender) Status() Status { return s.status.get() }

// Run sends batches until ctx ends; a batch in flight then is sent again
// by the next start. It returns when it no longer touches the store, so
// the store may be closed after it.
func (s *Sender) Run(ctx context.Context) {
	defer s.post.close()
	defer s.save(true)
	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	for ctx.Err() == nil {
		more, err := s.step(ctx)
		if err != nil {
			s.log.Error("webhook: read the history", "err", err)
		}
		if more && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-poll.C:
		}
	}
}

// step reads one page after the position and sends it as one batch,
// retrying until the sink takes or refuses it or ctx ends. more says
// that the history holds more after it.
func (s *Sender) step(ctx context.Context) (more bool, err error) {
	page, err := s.st.Tail(store.TailQuery{After: s.position, Kinds: s.cfg.Kinds, Limit: s.cfg.BatchMax,
		MaxBytes: max(s.cfg.BatchMaxBytes-batchEnvelope, 1), Overhead: eventOverhead})
	if errors.Is(err, store.ErrBadCursor) {
		// Only a position saved by another history can be refused;
		// what it names cannot be found here.
		end, eerr := s.st.TailEnd()
		if eerr != nil {
			return false, eerr
		}
		s.log.Error("webhook: the saved position is not in this history: starting at its newest event", "position", s.position, "err", err)
		s.moveTo(end, true)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	s.status.update(func(st *Status) { st.Waiting, st.Pruned = page.Behind, st.Pruned+page.Pruned })
	if page.Pruned > 0 {
		s.log.Warn("webhook: retention deleted events before they were sent (counted of every kind; those of this sink's kinds are lost to it)",
			"count", page.Pruned)
	}
	evs := page.Events[:0:0]
	for _, e := range page.Events {
		if !strings.HasPrefix(e.Kind, ownKinds) {
			evs = append(evs, e)
		}
	}
	if len(evs) == 0 {
		s.moveTo(page.Next, false)
		s.status.update(func(st *Status) { st.Waiting = page.Left })
		return page.More, nil
	}
	body, err := encodeBatch(evs)
	if err != nil {
		return false, err
	}
	if !s.deliver(ctx, body, evs) {
		return false, nil // ctx ended: the batch is sent again at the next start
	}
	s.moveTo(page.Next, true)
	s.status.update(func(st *Status) { st.Waiting = page.Left })
	return page.More, nil
}

// deliver POSTs one batch until the sink takes or refuses it; false when
// ctx ended first.
func (s *Sender) deliver(ctx context.Context, body []byte, evs []store.RecordedEvent) bool {
	b := newBackoff(s.cfg.MinBackoff, s.cfg.MaxBackoff)
	for {
		a := s.post.post(ctx, body)
		if a.verdict == retry && ctx.Err() != nil {
			return false
		}
		switch a.verdict {
		case delivered:
			if b.failures > 0 {
				s.log.Info("webhook: delivering again", "failed_posts", b.failures)
			}
			s.status.update(func(st *Status) {
				st.Delivered += uint64(len(evs))
				st.Batches++
				st.LastDelivery, st.Failing = time.Now(), 0
			})
			return true
		case refused:
			s.drop(a, evs)
			return true
		}
		wait := b.next(a.wait)
		s.log.Warn("webhook: post failed, retrying", "err", a.err, "status", a.status, "events", len(evs),
			"failed_posts", b.failures, "retry_in", wait)
		s.status.update(func(st *Status) {
			st.Retried++
			st.LastError, st.LastErrorTime, st.Failing = a.err.Error(), time.Now(), b.failures
		})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// drop skips a batch the sink refused, and records that it did: in the
// log, in Status, and as a webhook.dropped event in the history, with
// what it takes to find the events there.
func (s *Sender) drop(a attempt, evs []store.RecordedEvent) {
	first, last := evs[0].ID, evs[len(evs)-1].ID
	s.log.Error("webhook: the sink refused a batch: skipped; its events stay in the history",
		"err", a.err, "status", a.status, "events", len(evs), "first_id", first, "last_id", last)
	s.status.update(func(st *Status) {
		st.Dropped += uint64(len(evs))
		st.LastError, st.LastErrorTime, st.Failing = a.err.Error(), time.Now(), 0
	})
	ev := store.Event{Time: time.Now(), Kind: KindDropped,
		Message: fmt.Sprintf("webhook %s refused a batch of %d events (%v): skipped; they stay in the history", s.cfg.Name, len(evs), a.err),
		Data: map[string]string{"webhook": s.cfg.Name, "url": s.url, "count": strconv.Itoa(len(evs)),
			"status": strconv.Itoa(a.status), "first_id": first, "last_id": last}}
	if err := s.st.AddEvents(ev); err != nil {
		s.log.Error("webhook: record the dropped batch", "err", err, "events", len(evs), "first_id", first, "last_id", last)
	}
}

// moveTo sets the position; it is saved when a batch was handled (an
// event sent or dropped), and otherwise now and then (idleSave).
func (s *Sender) moveTo(pos string, handled bool) {
	if pos == s.position {
		return
	}
	s.position = pos
	s.status.update(func(st *Status) { st.Position = pos })
	s.save(handled)
}

// save writes the position if it moved since it was last saved, and
// now is the time: force, or idleSave since the last save.
func (s *Sender) save(force bool) {
	if s.position == s.saved || (!force && time.Since(s.savedAt) < idleSave) {
		return
	}
	if err := s.st.PutCursor(s.cursor, s.position); err != nil {
		// The events stay in the history; a restart sends again what
		// was sent since the last save.
		s.log.Error("webhook: save the position", "err", err, "position", s.position)
		return
	}
	s.saved, s.savedAt = s.position, time.Now()
}
