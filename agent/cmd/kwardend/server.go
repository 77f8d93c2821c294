package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"golang.org/x/net/netutil"
)

// newServer returns the API's HTTP server. Every phase of a connection
// is bounded, so that no client holds a descriptor (and a goroutine)
// for nothing:
//
//   - read_timeout bounds reading a whole request, headers included: the
//     API takes GETs without bodies, so one bound serves both and a
//     client trickling its headers (slowloris) is cut;
//   - write_timeout bounds an ordinary answer, from the end of the
//     request to the last byte written, so a client that stops reading
//     is cut; the stream, which lives on, moves its own deadline forward
//     before every event (api.Options.EventWriteTimeout);
//   - idle_timeout bounds a keep-alive connection between requests; none
//     was set, and 10,000 idle connections were all still held after
//     30 s.
//
// Every request's context ends when Shutdown begins. Shutdown waits for
// the requests in flight, and a stream is one that never ends by
// itself: with a client connected, every stop took the whole shutdown
// timeout. The stream handler returns when its request's context ends,
// so streams close at once and only ordinary answers are waited for.
func newServer(cfg config, h http.Handler, log *slog.Logger) *http.Server {
	base, stopping := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	srv.RegisterOnShutdown(stopping)
	return srv
}

// listen opens the API's socket, serving at most n connections at once.
// Beyond them a connection waits in the kernel's backlog until another
// closes, so that a flood of connections cannot take the descriptors
// the daemon needs for its own files. The cap is x/net's LimitListener,
// kept by the Go team, rather than a semaphore of our own.
func listen(ctx context.Context, addr string, n int) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return netutil.LimitListener(ln, n), nil
}
