package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// events -since takes days and weeks, and sends the API the duration in
// Go's syntax, which every version of the API reads.
func TestEventsSince(t *testing.T) {
	var (
		mu   sync.Mutex
		sent []string // the from parameters received
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = append(sent, r.URL.Query().Get("from"))
		mu.Unlock()
		w.Write([]byte(`{"events": []}`))
	}))
	defer srv.Close()
	// events runs kwardenctl events with args, and returns what the API
	// received and the error.
	events := func(args ...string) ([]string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"-addr", srv.URL, "events"}, args...), func(string) (string, bool) { return "", false }, &out, io.Discard)
		mu.Lock()
		defer mu.Unlock()
		queries := sent
		sent = nil
		return queries, err
	}
	for _, tc := range []struct {
		args []string
		from string
	}{
		{nil, "now-15m0s"},
		{[]string{"-since", "31d"}, "now-744h0m0s"},
		{[]string{"-since", "1w2d"}, "now-216h0m0s"},
		{[]string{"-since", "1.5d"}, "now-36h0m0s"},
		{[]string{"-since", "90s"}, "now-1m30s"},
		{[]string{"-since", "1h30m"}, "now-1h30m0s"},
	} {
		if queries, err := events(tc.args...); err != nil || len(queries) != 1 || queries[0] != tc.from {
			t.Errorf("events %q: error %v, sent from=%q, want %q", tc.args, err, queries, tc.from)
		}
	}
	for _, bad := range []string{"3x", "d", "0", "-1d"} {
		if queries, err := events("-since", bad); err == nil || !strings.Contains(err.Error(), bad) || len(queries) != 0 {
			t.Errorf("events -since %s: error %v, sent %q", bad, err, queries)
		}
	}
}
