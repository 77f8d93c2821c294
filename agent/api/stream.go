package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// stream sends one server-sent event per tick until the client goes.
//
// The server's WriteTimeout is for ordinary answers and would cut the
// stream, so the stream moves its write deadline forward before each
// write. A client that stops reading is still cut: once the socket's
// buffers are full, a write waits at most EventWriteTimeout. (The
// server's ReadTimeout does not matter here: net/http clears the read
// deadline once the request is read.)
func (s *server) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	rc := http.NewResponseController(w)
	extend := func() bool {
		err := rc.SetWriteDeadline(time.Now().Add(s.opts.EventWriteTimeout))
		return err == nil || errors.Is(err, http.ErrNotSupported)
	}
	if !extend() {
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": kwarden stream\n\n")
	fl.Flush()
	t := time.NewTicker(s.opts.StreamEvery)
	defer t.Stop()
	var last uint64
	for {
		st := s.b.State()
		if st.Tick != last && st.Tick != 0 {
			last = st.Tick
			ev := apiv1.StreamTick{Tick: st.Tick, Time: st.Time, MemUsedBytes: st.System.MemUsedBytes,
				MemTotalBytes: st.System.MemTotalBytes, CPUPercent: st.System.CPUPercent, Discrepancies: st.System.Discrepancies, Hidden: st.System.Hidden,
				Containers: []apiv1.StreamContainer{}}
			for _, c := range st.Containers {
				if c.Running {
					ev.Containers = append(ev.Containers, apiv1.StreamContainer{ID: c.ID, Name: c.Name,
						CPUPercent: c.CPUPercent, RSSBytes: c.RSSBytes, Class: c.Class})
				}
			}
			b, _ := json.Marshal(ev)
			if !extend() {
				return
			}
			if _, err := fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", apiv1.StreamEvent, st.Tick, b); err != nil {
				return
			}
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
	}
}
