// Command kwardenctl talks to kwardend's API (through agent/client, so
// it links none of the agent), and starts workloads (through the
// kwarden-spawn program).
//
//	kwardenctl [-addr URL] [-token-file PATH] [-o table|json] COMMAND
//
// The bearer token comes from the first of -token-file, -token,
// KWARDEN_TOKEN_FILE and KWARDEN_TOKEN that is given. A token file must
// be this user's, not a symbolic link, and readable by nobody else (mode
// 0600); its final newline is not part of the token. -token works but
// warns: other users see a command line in ps.
//
// Commands:
//
//	status                  memory, containers grouped by class, what was deleted
//	containers [-all]       current containers (-all: removed ones too)
//	events [-since D] [-kind PREFIX]
//	crosscheck              the last module-vs-eBPF comparison
//	top [-n TICKS]          live view from the stream (default: until ^C)
//	spawn -profile A|B|C    one round of the course's workload generator
//	policy ls|show|use|dry-run  the kill policies: list, show the active one, swap, try
//	                        (dry-run -at TIME: on a tick the history recorded)
//	report [-from T] [-to T] [-o DIR] [-format svg|png] [-n N]
//	                        the course's graphs of a range (default the last hour) into DIR
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := runMain(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain runs the command and reports its error, escaped: an error can
// quote the server (the error field of its answer) or the Docker engine.
func runMain(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	if err := run(ctx, args, lookup, stdout, stderr); err != nil {
		writef(stderr, "kwardenctl: %v\n", err)
		return 1
	}
	return 0
}

type cli struct {
	api    *client.Client
	output string
	out    io.Writer
	stderr io.Writer
}

// usage is the synopsis, for -h and a missing command.
const usage = "usage: kwardenctl [-addr URL] [-token-file PATH] [-o table|json] status|containers|events|crosscheck|top|spawn|policy|report"

// run parses the command line and runs the command: tables and JSON go to
// out, warnings to stderr.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), out, stderr io.Writer) error {
	c := &cli{out: out, stderr: stderr}
	fs := flag.NewFlagSet("kwardenctl", flag.ContinueOnError)
	fs.SetOutput(out)
	def := client.DefaultAddr
	if v, ok := lookup("KWARDEN_ADDR"); ok {
		def = v
	}
	var tf tokenFlags
	var addr string
	var timeout time.Duration
	fs.StringVar(&addr, "addr", def, "kwardend's API (env KWARDEN_ADDR)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "bound on each request")
	fs.StringVar(&tf.file, "token-file", "", "file holding the bearer token, mode 0600 (env KWARDEN_TOKEN_FILE)")
	fs.StringVar(&tf.token, "token", "", "bearer token; visible to other users in ps, prefer -token-file (env KWARDEN_TOKEN)")
	fs.StringVar(&c.output, "o", "table", "output: table or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "The token is the first given of -token-file, -token, KWARDEN_TOKEN_FILE, KWARDEN_TOKEN.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		tf.fileSet = tf.fileSet || f.Name == "token-file"
		tf.tokenSet = tf.tokenSet || f.Name == "token"
	})
	if c.output != "table" && c.output != "json" {
		return fmt.Errorf("-o %q: want table or json", c.output)
	}
	token, err := resolveToken(tf, lookup, stderr)
	if err != nil {
		return err
	}
	if c.api, err = client.New(client.Options{Addr: addr, Token: token, Timeout: timeout}); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New(usage)
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "status":
		return c.status(ctx, rest)
	case "containers":
		return c.containers(ctx, rest)
	case "events":
		return c.events(ctx, rest)
	case "crosscheck":
		return c.crosscheck(ctx, rest)
	case "top":
		return c.top(ctx, rest)
	case "spawn":
		return c.spawn(ctx, rest)
	case "policy":
		return c.policy(ctx, rest)
	case "report":
		return c.report(ctx, rest)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// printJSON writes v for -o json.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printJSONLine writes v as one line, for streams.
func (c *cli) printJSONLine(v any) error { return json.NewEncoder(c.out).Encode(v) }
