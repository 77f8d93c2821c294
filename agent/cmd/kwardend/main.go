// Command kwardend is kwarden's daemon: it samples the kernel views and
// Docker every tick, keeps history, and serves the HTTP API and
// /metrics (see docs/api.md). Configuration: -config FILE (JSON),
// KWARDEN_* variables, flags; kwardend -h lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/api"
	"github.com/kwarden/kwarden/agent/daemon"
	"github.com/kwarden/kwarden/agent/metrics"
	"github.com/kwarden/kwarden/agent/policy"
	"github.com/kwarden/kwarden/agent/sample"
	"github.com/kwarden/kwarden/agent/source"
	"github.com/kwarden/kwarden/agent/store"
	"github.com/kwarden/kwarden/agent/webhook"
	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// The first signal starts a graceful stop, which may take the
	// shutdown timeout. Once it is received the signals go back to
	// their default action, so that a second one ends the process at
	// once: whoever signals twice does not want to wait.
	go func() {
		<-ctx.Done()
		stop()
	}()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	err := run(ctx, os.Args[1:], os.LookupEnv, log, nil)
	if errors.Is(err, flag.ErrHelp) {
		return // -h: load listed the settings
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kwardend:", err)
		if errors.Is(err, store.ErrDamaged) && !strings.Contains(err.Error(), "-db-reset-damaged") {
			// Damage met while running; Open's own message has the hint.
			fmt.Fprintln(os.Stderr, "kwardend: move the history aside, or start with -db-reset-damaged to do so and begin a new one")
		}
		if errors.Is(err, store.ErrNewerSchema) {
			fmt.Fprintln(os.Stderr, "kwardend: run the newer kwardend that wrote it, or move the history aside to begin a new one")
		}
		os.Exit(1)
	}
}

// run starts the daemon and the API and stops both when ctx ends. ready,
// if not nil, receives the API's address once it listens.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), log *slog.Logger, ready chan<- string) (err error) {
	started := time.Now() // the course's graphs reach back to here
	cfg, err := load(args, lookup)
	if err != nil {
		return err
	}
	if cfg.Course != nil {
		if err := prepareReportDir(cfg.Course.ReportDir); err != nil {
			return err
		}
		log.Info("course mode: at a stop by signal, the final graphs, and the generator's timer removed",
			"report_dir", cfg.Course.ReportDir, "report_format", cfg.Course.ReportFormat, "generator_timer", cfg.Course.GeneratorTimer)
	}
	if cfg.tokenFrom == "-token" {
		log.Warn("the token given with -token is visible to every user in ps: use -token-file or KWARDEN_TOKEN_FILE (or KWARDEN_TOKEN) instead")
	}
	soft, hard, err := fileLimit()
	if err != nil {
		return err
	}
	maxConns := cfg.MaxConns
	if maxConns == 0 {
		maxConns = defaultMaxConns(soft)
	} else if uint64(maxConns) > soft/2 {
		log.Warn("max_connections leaves less than half the file descriptors to the daemon's own files",
			"max_connections", maxConns, "nofile_soft", soft)
	}
	// The policy loop needs the daemon (its history) and the daemon's
	// AfterTick needs the loop: the loop is set before Run starts.
	var loop *policyLoop
	var sink *webhook.Sender
	afterTick := func(st daemon.State) {
		if loop != nil {
			loop.guard.OnTick(st)
		}
		if sink != nil {
			sink.Notify() // the tick's events are in the history
		}
	}
	onOOM := func(string) {
		if loop != nil {
			loop.guard.Trigger(policy.TriggerOOM)
		}
	}
	d, err := daemon.New(ctx, daemon.Config{
		AfterTick: afterTick, OnOOM: onOOM,
		Interval: cfg.Interval, Sources: source.Which(cfg.Sources), KmodRoot: cfg.KmodRoot,
		ProcRoot: cfg.ProcRoot, CgroupRoot: cfg.CgroupRoot,
		DockerHost: cfg.DockerHost, DBPath: cfg.DB,
		Thresholds:   sample.Thresholds{CPUPercent: cfg.CPUHigh, RAMPercent: cfg.RAMHigh},
		RawRetention: cfg.RawRetention, Retention: cfg.Retention, ResetDamaged: cfg.ResetDamaged,
		ProcViewEvery: cfg.ProcViewEvery,
	}, log)
	if err != nil {
		return err
	}
	// New took the history's lock, the kernel views (eBPF programs) and
	// a Docker client. Run releases them when it returns, but a start-up
	// that fails before Run (the port in use) left them held. Close
	// releases them in either case and is idempotent.
	defer func() {
		if cerr := d.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close daemon: %w", cerr))
		}
	}()
	if cfg.Webhook != nil {
		if sink, err = webhook.New(d.Store(), *cfg.Webhook, webhook.Options{Log: log}); err != nil {
			return fmt.Errorf("webhook: %w", err)
		}
	}
	if cfg.Policy.Dir != "" {
		if loop, err = startPolicies(ctx, cfg, d, log, sink); err != nil {
			return fmt.Errorf("policy loop: %w", err)
		}
		defer loop.close()
	} else if cfg.Policy.Use != "" {
		return errors.New("a policy was given but no policy directory (policy.dir, -policy-dir)")
	}
	ln, err := listen(ctx, cfg.Listen, maxConns)
	if err != nil {
		return err
	}
	reg := metrics.NewRegistry(d.State, d.Sources().Stats, version.Version, log)
	apiOpts := api.Options{Token: cfg.Token, Interval: cfg.Interval, Logger: log, EventWriteTimeout: cfg.WriteTimeout,
		Version: version.Version, Metrics: metrics.Handler(reg, log)}
	if loop != nil {
		apiOpts.Policies = loop.guard
	}
	srv := newServer(cfg, api.New(d, apiOpts), log)
	// The daemon stops after the API: answers still in flight at stop
	// read its history, which Run closes when it returns.
	dctx, stopDaemon := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDaemon()
	daemonDone := make(chan error, 1)
	go func() { daemonDone <- d.Run(dctx) }()
	// The policy loop and the webhook write and read the history, which
	// the daemon closes when it stops: they stop first (stopUsers).
	uctx, stopUsers := context.WithCancel(dctx)
	var users sync.WaitGroup
	if sink != nil {
		users.Add(1)
		go func() { defer users.Done(); sink.Run(uctx) }()
	}
	if loop != nil {
		users.Add(1)
		go func() { defer users.Done(); loop.run(uctx, log) }()
	}
	defer func() { stopUsers(); users.Wait() }() // on the early returns too
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	log.Info("kwardend running", "listen", ln.Addr().String(), "interval", duration.String(cfg.Interval),
		"sources", cfg.Sources, "db", cfg.DB, "token", cfg.Token != "", "token_from", cfg.tokenFrom,
		"max_connections", maxConns, "nofile_soft", soft, "nofile_hard", hard,
		"read_timeout", duration.String(cfg.ReadTimeout), "write_timeout", duration.String(cfg.WriteTimeout),
		"idle_timeout", duration.String(cfg.IdleTimeout), "shutdown_timeout", duration.String(cfg.ShutdownTimeout))
	if ready != nil {
		ready <- ln.Addr().String()
	}
	var errs []error
	signalled := false
	select {
	case <-ctx.Done():
		signalled = true
	case err := <-serveDone:
		errs = append(errs, fmt.Errorf("serve API: %w", err))
	case err := <-daemonDone:
		daemonDone = nil
		if err == nil {
			err = errors.New("stopped by itself")
		}
		errs = append(errs, fmt.Errorf("daemon: %w", err))
	}
	log.Info("kwardend stopping", "shutdown_timeout", duration.String(cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("answers in flight did not finish within the shutdown timeout: cutting them", "err", err)
		srv.Close()
	}
	stopUsers()
	users.Wait()
	// The course's shutdown, on a stop by signal only (not when the
	// daemon failed): after the policy loop, so that no container is
	// removed after the graphs are drawn, and before the history closes.
	if cfg.Course != nil && signalled {
		courseStop(context.WithoutCancel(ctx), cfg.Course, d.Store(), started, time.Now(), cfg.ShutdownTimeout, log)
	}
	stopDaemon()
	if daemonDone != nil {
		if err := <-daemonDone; err != nil {
			errs = append(errs, fmt.Errorf("daemon: %w", err))
		}
	}
	return errors.Join(errs...)
}
