package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/internal/duration"
)

// Config is one sink. Every field but URL has a default, used when it
// is left zero.
type Config struct {
	// Name keys the sink's saved position in the history; "" means
	// "default". Two sinks need two names; a sink under a new name
	// starts anew (now, or from_start).
	Name string `json:"name"`
	// URL is where batches are POSTed: http or https.
	URL string `json:"url"`
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string `json:"token"`
	// Kinds are the prefixes of the event kinds sent; none means
	// "policy.", and "" alone every kind (but "webhook.", never sent).
	Kinds []string `json:"kinds"`
	// BatchMax bounds the events of a batch: 100 by default, at most
	// store.MaxEventLimit.
	BatchMax int `json:"batch_max"`
	// BatchMaxBytes bounds a batch's body: 1 MiB by default. A single
	// event larger than that goes alone.
	BatchMaxBytes int `json:"batch_max_bytes"`
	// Timeout bounds one POST, from connecting to the answer's end:
	// 10 s by default.
	Timeout time.Duration `json:"timeout"`
	// MinBackoff is the first wait after a failed POST, doubled at each
	// failure up to MaxBackoff: 1 s and 1 min by default.
	MinBackoff time.Duration `json:"min_backoff"`
	MaxBackoff time.Duration `json:"max_backoff"`
	// Poll is how often the history is looked at without a Notify: 5 s
	// by default.
	Poll time.Duration `json:"poll"`
	// FromStart makes a sink's first start send the whole history
	// rather than begin at its newest event. It has no effect once a
	// position is saved.
	FromStart bool `json:"from_start"`
}

// Defaults of Config.
const (
	DefaultName          = "default"
	DefaultKind          = "policy."
	DefaultBatchMax      = 100
	DefaultBatchMaxBytes = 1 << 20
	DefaultTimeout       = 10 * time.Second
	DefaultMinBackoff    = time.Second
	DefaultMaxBackoff    = time.Minute
	DefaultPoll          = 5 * time.Second
)

// ownKinds are the sender's own reports, never sent (doc.go).
const ownKinds = "webhook."

// UnmarshalJSON reads a Config with durations as strings, days and
// weeks included ("10s", "2m", "1d"), and refuses fields it does not
// know: a misspelt setting would otherwise be a default nobody chose.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var raw struct {
		plain
		Timeout    string `json:"timeout"`
		MinBackoff string `json:"min_backoff"`
		MaxBackoff string `json:"max_backoff"`
		Poll       string `json:"poll"`
	}
	raw.plain = plain(*c)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	*c = Config(raw.plain)
	for _, d := range []struct {
		name, s string
		dst     *time.Duration
	}{{"timeout", raw.Timeout, &c.Timeout}, {"min_backoff", raw.MinBackoff, &c.MinBackoff},
		{"max_backoff", raw.MaxBackoff, &c.MaxBackoff}, {"poll", raw.Poll, &c.Poll}} {
		if d.s == "" {
			continue
		}
		v, err := duration.Parse(d.s)
		if err != nil {
			return fmt.Errorf("webhook %s: %w", d.name, err)
		}
		*d.dst = v
	}
	return nil
}

// ErrBadURL is wrapped by the refusal of a URL that is not http or
// https with a host.
var ErrBadURL = errors.New("want an http:// or https:// URL with a host")

// checked returns c with its defaults filled in, or what is wrong with
// it. The URL is parsed here, once.
func (c Config) checked() (Config, *url.URL, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return c, nil, fmt.Errorf("webhook url: %w: %w", ErrBadURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return c, nil, fmt.Errorf("webhook url %q: scheme %q: %w", u.Redacted(), u.Scheme, ErrBadURL)
	}
	if u.Host == "" {
		return c, nil, fmt.Errorf("webhook url %q: no host: %w", u.Redacted(), ErrBadURL)
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if strings.ContainsFunc(c.Token, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return c, nil, errors.New("webhook token: holds a control character")
	}
	if len(c.Kinds) == 0 {
		c.Kinds = []string{DefaultKind}
	}
	for _, k := range c.Kinds {
		if strings.HasPrefix(k, ownKinds) {
			return c, nil, fmt.Errorf("webhook kinds: %q: the sender's own events (%s*) are never sent", k, ownKinds)
		}
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"batch_max", &c.BatchMax, DefaultBatchMax}, {"batch_max_bytes", &c.BatchMaxBytes, DefaultBatchMaxBytes}} {
		if *f.v < 0 {
			return c, nil, fmt.Errorf("webhook %s: %d is negative", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if c.BatchMax > store.MaxEventLimit {
		return c, nil, fmt.Errorf("webhook batch_max: %d, at most %d", c.BatchMax, store.MaxEventLimit)
	}
	for _, f := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{{"timeout", &c.Timeout, DefaultTimeout}, {"min_backoff", &c.MinBackoff, DefaultMinBackoff},
		{"max_backoff", &c.MaxBackoff, DefaultMaxBackoff}, {"poll", &c.Poll, DefaultPoll}} {
		if *f.v < 0 {
			return c, nil, fmt.Errorf("webhook %s: %v is negative", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if c.MinBackoff > c.MaxBackoff {
		return c, nil, fmt.Errorf("webhook min_backoff %v is above max_backoff %v", c.MinBackoff, c.MaxBackoff)
	}
	return c, u, nil
}
