package webhook

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigFromJSON(t *testing.T) {
	var c Config
	err := json.Unmarshal([]byte(`{"name": "audit", "url": "https://sink.example/in", "token": "s3cret",
		"kinds": ["policy.", "docker."], "batch_max": 50, "batch_max_bytes": 65536,
		"timeout": "5s", "min_backoff": "250ms", "max_backoff": "1d", "poll": "2s", "from_start": true}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Name: "audit", URL: "https://sink.example/in", Token: "s3cret", Kinds: []string{"policy.", "docker."},
		BatchMax: 50, BatchMaxBytes: 65536, Timeout: 5 * time.Second, MinBackoff: 250 * time.Millisecond,
		MaxBackoff: 24 * time.Hour, Poll: 2 * time.Second, FromStart: true}
	if c.Name != want.Name || c.URL != want.URL || c.Token != want.Token || strings.Join(c.Kinds, ",") != "policy.,docker." ||
		c.BatchMax != want.BatchMax || c.BatchMaxBytes != want.BatchMaxBytes || c.Timeout != want.Timeout ||
		c.MinBackoff != want.MinBackoff || c.MaxBackoff != want.MaxBackoff || c.Poll != want.Poll || !c.FromStart {
		t.Errorf("got %+v", c)
	}
	for _, bad := range []string{`{"urll": "http://x"}`, `{"timeout": "5 seconds"}`, `{"poll": 5}`} {
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c, u, err := Config{URL: "http://127.0.0.1:9/x"}.checked()
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "127.0.0.1:9" || c.Name != DefaultName || len(c.Kinds) != 1 || c.Kinds[0] != DefaultKind ||
		c.BatchMax != DefaultBatchMax || c.BatchMaxBytes != DefaultBatchMaxBytes || c.Timeout != DefaultTimeout ||
		c.MinBackoff != DefaultMinBackoff || c.MaxBackoff != DefaultMaxBackoff || c.Poll != DefaultPoll || c.FromStart {
		t.Errorf("defaults: %+v", c)
	}
}

func TestConfigRefusals(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{URL: "ftp://sink.example/in"}, `scheme "ftp"`},
		{Config{URL: "file:///var/log/sink"}, `scheme "file"`},
		{Config{URL: "unix:///run/sink.sock"}, `scheme "unix"`},
		{Config{URL: "sink.example:8080/in"}, "want an http"},
		{Config{URL: "sink.example/in"}, `scheme ""`},
		{Config{URL: ""}, `scheme ""`},
		{Config{URL: "http:///in"}, "no host"},
		{Config{URL: "https://user:pw@sink.example/in", BatchMax: -1}, "batch_max"},
		{Config{URL: "http://x", BatchMax: 10001}, "at most 10000"},
		{Config{URL: "http://x", Timeout: -time.Second}, "timeout"},
		{Config{URL: "http://x", MinBackoff: 2 * time.Minute}, "above max_backoff"},
		{Config{URL: "http://x", Kinds: []string{"webhook."}}, "never sent"},
		{Config{URL: "http://x", Token: "a\r\nX-Evil: 1"}, "control character"},
	} {
		_, _, err := tc.c.checked()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
		if strings.Contains(tc.c.URL, "://") && strings.HasPrefix(tc.want, "scheme") && !errors.Is(err, ErrBadURL) {
			t.Errorf("%s: %v does not wrap ErrBadURL", tc.c.URL, err)
		}
	}
	// A URL's password is not repeated in an error.
	if _, _, err := (Config{URL: "gopher://user:pw@sink.example/"}).checked(); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("password in %v", err)
	}
}
