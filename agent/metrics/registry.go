package metrics

import (
	"bufio"
	"log/slog"
	"net/http"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/source"
)

// NewRegistry is kwardend's registry: the collector over state and
// stats, kwarden_build_info, and Go's runtime and process collectors.
func NewRegistry(state func() apiv1.State, stats *source.StatsReader, version string, log *slog.Logger) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(New(state, stats, log), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kwarden_build_info",
			Help:        "A constant 1, labelled with the daemon's version and the Go that built it.",
			ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()}}, func() float64 { return 1 }))
	return reg
}

// Handler serves reg: the text format, or OpenMetrics when the scraper
// asks for it. A metric that fails is left out and logged, the rest
// served.
func Handler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, ErrorHandling: promhttp.ContinueOnError,
		ErrorLog: slogLogger{log}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bufferedResponse{ResponseWriter: w, buf: bufio.NewWriterSize(w, 64<<10)}
		h.ServeHTTP(bw, r)
		bw.buf.Flush() // an error here is the client's going away
	})
}

// bufferedResponse hands the connection 64 KiB at a time: the encoders
// write through net/http's 4 KiB buffer, one system call each, and at
// 200 containers (1.5 MiB) those writes were a tenth of a scrape.
type bufferedResponse struct {
	http.ResponseWriter
	buf *bufio.Writer
}

func (b *bufferedResponse) Write(p []byte) (int, error) { return b.buf.Write(p) }

// slogLogger adapts slog to promhttp's Logger.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Println(v ...any) {
	if l.log != nil {
		l.log.Warn("metrics", "err", v)
	}
}
