package store

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Following the history. Events are keyed by their time, but they are
// not recorded in the order of their times: an action's outcome carries
// the time its round started and is recorded when Docker has answered,
// up to the stop timeout later, after the outcomes of later rounds; a
// tick's events carry the tick's start. A reader that remembered "the
// last key I read" would never see those that landed behind it. What
// grows in order is the sequence number each event takes when it is
// recorded (the second half of its key): the bucket event_order maps it
// to the event's key, and a follower keeps the last sequence it handled.
//
// The sequence leaves no hole a reader could later see filled: bbolt
// has one writer at a time and a sequence is taken inside the write
// transaction that stores its event, so a read transaction sees every
// event up to the bucket's sequence, or its deletion by retention.

// eventKeyLen is an event's key: its time in ns, then its sequence,
// both big-endian.
const eventKeyLen = 16

// TailQuery selects the events recorded after a position.
type TailQuery struct {
	// After is a position: a Next or Cursor from an earlier page, or
	// TailEnd; "" is before the first event ever recorded.
	After string
	// Kinds are prefixes of the kinds wanted ("policy.", "docker.");
	// none, or "", is every kind.
	Kinds []string
	// Limit, MaxBytes and MaxScan bound the page as they bound Events;
	// 0 means DefaultEventLimit, DefaultEventBytes, DefaultEventScan.
	Limit, MaxBytes, MaxScan int
	// Overhead is what the follower adds to each event's JSON (an id,
	// say), counted with it against MaxBytes: a page then fits what
	// the follower sends, not only what is stored.
	Overhead int
}

// RecordedEvent is an event with where it sits in the history.
type RecordedEvent struct {
	Event
	// ID is the event's key in hex (32 digits): unique in the history
	// and the same every time the event is read, which is what a
	// receiver dedupes on. A history started anew (-db-reset-damaged)
	// numbers its events from 1 again, but with later times in front.
	ID string
	// Cursor is the position just after this event, for TailQuery.After.
	Cursor string
}

// TailPage is a page of events in the order they were recorded.
type TailPage struct {
	Events []RecordedEvent
	// Next is the position after the last record the page looked at,
	// matching or not: where the next page starts; the position of
	// After when nothing was recorded since.
	Next string
	// More says that the page stopped at a bound with records left.
	More bool
	// Pruned counts the records after After, of every kind, that
	// retention deleted before this page reached them.
	Pruned uint64
	// Behind counts the records after After, and Left those after
	// Next, of every kind, at the time of the page: upper bounds of the
	// events a follower has still to handle before and after the page.
	Behind, Left uint64
}

// Tail returns a page of the events recorded after q.After, oldest
// recording first. Like Events it reads one transaction and stops at
// the first bound it meets; records that do not decode are skipped (and
// logged), as Events skips them. A position that is not one, or lies
// beyond every event recorded (it came from another history), gives an
// error wrapping ErrBadCursor.
func (s *Store) Tail(q TailQuery) (TailPage, error) {
	after, err := parsePosition(q.After)
	if err != nil {
		return TailPage{}, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	limit = min(limit, MaxEventLimit)
	maxBytes, maxScan := q.MaxBytes, q.MaxScan
	if maxBytes <= 0 {
		maxBytes = DefaultEventBytes
	}
	if maxScan <= 0 {
		maxScan = DefaultEventScan
	}
	var page TailPage
	bad := 0
	err = s.view(func(tx *bolt.Tx) error {
		events := tx.Bucket(bEvents)
		newest := events.Sequence()
		if after > newest {
			return fmt.Errorf("after %q, past the newest event (%d): %w", q.After, newest, ErrBadCursor)
		}
		page.Behind = newest - after
		last, scanned, bytesOut := after, 0, 0
		c := tx.Bucket(bEventOrder).Cursor()
		for k, ek := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil; k, ek = c.Next() {
			if len(page.Events) >= limit || scanned >= maxScan {
				page.More = true
				break
			}
			if len(k) != 8 {
				bad++
				continue
			}
			seq := binary.BigEndian.Uint64(k)
			v := events.Get(ek)
			kind, ok := eventKind(v)
			match := ok && kindMatches(kind, q.Kinds)
			size := len(v) + q.Overhead
			if match && bytesOut > 0 && bytesOut+size > maxBytes {
				page.More = true
				break
			}
			scanned++
			page.Pruned += seq - last - 1
			last = seq
			switch {
			case v == nil:
				page.Pruned++ // an order entry without its event
				continue
			case !ok:
				bad++
				continue
			case !match:
				continue
			}
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				bad++
				continue
			}
			page.Events = append(page.Events, RecordedEvent{Event: e, ID: hex.EncodeToString(ek), Cursor: position(seq)})
			bytesOut += size
		}
		if !page.More {
			// Every sequence up to newest was recorded: those not
			// met were deleted.
			page.Pruned += newest - last
			last = newest
		}
		page.Next, page.Left = position(last), newest-last
		return nil
	})
	s.reportBad("event", bad)
	if err != nil {
		return TailPage{}, err
	}
	return page, nil
}

// TailEnd is the position after the newest event recorded: where a
// follower that skips the past starts.
func (s *Store) TailEnd() (string, error) {
	var newest uint64
	err := s.view(func(tx *bolt.Tx) error {
		newest = tx.Bucket(bEvents).Sequence()
		return nil
	})
	return position(newest), err
}

// position is the text of a position: the sequence, 16 hex digits.
func position(seq uint64) string {
	return hex.EncodeToString(binary.BigEndian.AppendUint64(nil, seq))
}

func parsePosition(s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("after %q: %w", s, ErrBadCursor)
	}
	return binary.BigEndian.Uint64(b), nil
}

// eventKind reads only the kind of a stored event: a follower or a
// query for one kind skips the others without decoding them.
func eventKind(v []byte) (string, bool) {
	var head struct {
		Kind string `json:"kind"`
	}
	if v == nil || json.Unmarshal(v, &head) != nil {
		return "", false
	}
	return head.Kind, true
}

func kindMatches(kind string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if strings.HasPrefix(kind, p) {
			return true
		}
	}
	return false
}
