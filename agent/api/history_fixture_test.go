package api

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/containers"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/store"
)

// historyServer serves a minute of history, a tick a second from t0, the
// API's clock at its end: kw-a runs throughout with the points a gives
// tick by tick; kw-b runs until tick gone with b's points, and is
// removed then. The backend is returned for servers of other options.
func historyServer(t *testing.T, gone int, a, b func(i int) store.ContainerPoint) (*httptest.Server, *backend) {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ca := containers.Container{ID: idA, Name: "kw-a", Image: "kwarden/load:cpu", Kind: "cpu", Running: true, Created: t0}
	cb := containers.Container{ID: idB, Name: "kw-b", Image: "kwarden/load:ram", Kind: "ram", Created: t0}
	for i := range 60 {
		at := t0.Add(time.Duration(i) * time.Second)
		tk := store.Tick{System: store.SystemPoint{Time: at, MemTotalBytes: 1 << 30},
			Containers: map[string]store.ContainerPoint{idA: a(i)}}
		if i < gone {
			tk.Containers[idB] = b(i)
		}
		switch i {
		case 0:
			tk.Info = []containers.Container{ca, cb}
		case gone:
			removed := cb
			removed.State, removed.Removed = "removed", at
			tk.Info = []containers.Container{removed}
		}
		if err := s.WriteTick(tk); err != nil {
			t.Fatal(err)
		}
	}
	end := t0.Add(time.Minute)
	be := &backend{store: s, st: daemon.State{Time: end, Tick: 60}}
	srv := httptest.NewServer(New(be, Options{now: func() time.Time { return end }}))
	t.Cleanup(srv.Close)
	return srv, be
}
