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
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/load"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // -h: run printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kwarden-load:", err)
		os.Exit(2)
	}
}

const usage = "usage: kwarden-load cpu|ram|io|disk|low [-workers N] [-bytes SIZE] [-duration D] [-dir DIR]"

// run runs the kind of load args[0] names, logging to logOut. -h, before
// or after the kind, prints the usage to out and returns flag.ErrHelp.
func run(ctx context.Context, args []string, out, logOut io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	kind, rest := args[0], args[1:]
	if strings.HasPrefix(kind, "-") {
		kind, rest = "", args // flags before a kind: only -h makes sense
	}
	spec := load.Spec{Kind: load.Kind(kind)}
	fs := flag.NewFlagSet("kwarden-load", flag.ContinueOnError)
	fs.SetOutput(logOut)
	fs.IntVar(&spec.Workers, "workers", 0, "busy (cpu) or syncing (io) workers; 0: the kind's default")
	size := fs.String("bytes", "0", "memory to hold (ram) or bytes to write (disk), e.g. 64MiB, 100MB; 0: the kind's default")
	fs.DurationVar(&spec.Duration, "duration", 0, "how long to run; 0: until SIGTERM")
	fs.StringVar(&spec.Dir, "dir", load.DefaultDir, "directory for the io and disk kinds' files")
	fs.BoolVar(&spec.Reread, "reread", false, "disk: read the file back over and over once written (page-cache thrash in a smaller memory limit)")
	// The usage is printed here rather than by flag: after a parse error
	// to logOut, with the error, and for -h, which asked for it, to out.
	fs.Usage = func() {}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
		}
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
		return err
	}
	if kind == "" {
		return errors.New(usage)
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
		"touched_bytes", st.TouchedBytes.Load(), "written_bytes", st.WrittenBytes.Load(), "read_bytes", st.ReadBytes.Load(), "fsyncs", st.Fsyncs.Load(), "err", err)
	return err
}
