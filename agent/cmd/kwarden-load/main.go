// Command kwarden-load is the workload that kwarden's workload containers
// run (images kwarden/load:<kind>, built FROM scratch by make images).
//
// Usage: kwarden-load KIND [-workers N] [-bytes SIZE] [-duration D] [-dir DIR]
//
// KIND is cpu, ram, io, disk or low (see package agent/load). It stops
// at the end of the duration or on SIGTERM/SIGINT, and logs what it did.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kwarden-load:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, logOut io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		return fmt.Errorf("usage: kwarden-load cpu|ram|io|disk|low [-workers N] [-bytes SIZE] [-duration D] [-dir DIR]")
	}
	spec := load.Spec{Kind: load.Kind(args[0])}
	fs := flag.NewFlagSet("kwarden-load "+args[0], flag.ContinueOnError)
	fs.SetOutput(logOut)
	fs.IntVar(&spec.Workers, "workers", 0, "busy (cpu) or syncing (io) workers; 0: the kind's default")
	size := fs.String("bytes", "0", "memory to hold (ram) or bytes to write (disk), e.g. 64MiB, 100MB; 0: the kind's default")
	fs.DurationVar(&spec.Duration, "duration", 0, "how long to run; 0: until SIGTERM")
	fs.StringVar(&spec.Dir, "dir", load.DefaultDir, "directory for the io and disk kinds' files")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if spec.Bytes, err = load.ParseBytes(*size); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	log.Info("start", "kind", spec.Kind, "workers", spec.Workers, "bytes", spec.Bytes, "duration", spec.Duration.String())
	var st load.Stats
	start := time.Now()
	err = load.Run(ctx, spec, &st)
	log.Info("end", "seconds", time.Since(start).Seconds(), "spins", st.Spins.Load(),
		"touched_bytes", st.TouchedBytes.Load(), "written_bytes", st.WrittenBytes.Load(), "fsyncs", st.Fsyncs.Load(), "err", err)
	return err
}
