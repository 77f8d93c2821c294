package metrics

import (
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
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, ErrorHandling: promhttp.ContinueOnError,
		ErrorLog: slogLogger{log}})
}

// slogLogger adapts slog to promhttp's Logger.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Println(v ...any) {
	if l.log != nil {
		l.log.Warn("metrics", "err", v)
	}
}
