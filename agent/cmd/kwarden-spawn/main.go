// Command kwarden-spawn starts one round of the course's workload
// generator (package agent/spawn) on a Docker engine and prints what it
// started. The systemd timer kwarden-spawn.timer runs it in place of the
// course's cron line.
//
//	kwarden-spawn [-profile A|B|C] [-docker-host ADDR] [-o table|json]
//	kwarden-spawn -version
//
// The engine is -docker-host, else DOCKER_HOST, else the system's socket.
// It exits 0 when every container of the round started (and for -h), 1
// otherwise; what did start is printed either way.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/spawn"
	"github.com/kwarden/kwarden/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err for main: -h is a success, anything else is
// printed (escaped: Docker's errors quote what it was given) and fails.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "kwarden-spawn: %s\n", escape(err.Error()))
	return 1
}

const usage = "usage: kwarden-spawn [-profile A|B|C] [-docker-host ADDR] [-o table|json]"

// run parses args, starts one round and prints it to out. -h prints the
// usage to out and returns flag.ErrHelp.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kwarden-spawn", flag.ContinueOnError)
	profile := fs.String("profile", "B", "the course's generator version: A, B or C")
	host := fs.String("docker-host", "", "Docker engine (default DOCKER_HOST or the system socket)")
	format := fs.String("o", "table", "output: table or json")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fs.PrintDefaults()
	}
	// Parse errors are returned, not printed: main prints them once, on
	// stderr, while -h goes to out.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fs.Usage()
			return err
		}
		return fmt.Errorf("%w (-h shows the usage)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (-h shows the usage)", fs.Args())
	}
	if *showVersion {
		_, err := fmt.Fprintln(out, "kwarden-spawn", version.Version)
		return err
	}
	p, ok := spawn.Profiles[*profile]
	if !ok {
		return fmt.Errorf("profile %q: want A, B or C", *profile)
	}
	if !slices.Contains([]string{"table", "json"}, *format) {
		return fmt.Errorf("-o %q: want table or json", *format)
	}

	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if *host != "" {
		opts = append(opts, client.WithHost(*host))
	}
	dc, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return fmt.Errorf("connect to Docker: %w", err)
	}
	defer dc.Close()
	started, err := spawn.Run(ctx, dc, p)
	if perr := printStarted(out, *format, started); err == nil {
		err = perr
	}
	return err
}
