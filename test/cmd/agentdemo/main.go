// Command agentdemo is make demo: the agent at work on this machine, in
// about a minute, leaving nothing behind. It finds a Docker engine (or
// starts a private one), builds the workload images into it, starts
// kwardend with the eBPF view, runs one kwarden-spawn round of profile B,
// lets the agent watch it for a while, prints kwardenctl status and some
// container_ lines of /metrics, then removes what it started. Run as
// root, from the repository, after make build:
//
//	go run ./test/cmd/agentdemo [-bin bin] [-watch 15s]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/spawn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = errors.New("interrupted (what the demo started is stopped)")
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentdemo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	binDir := flag.String("bin", "bin", "the binaries make build made")
	watch := flag.Duration("watch", 15*time.Second, "how long the agent watches the round before the report")
	flag.Parse()
	if os.Geteuid() != 0 {
		return errors.New("run as root: kwardend loads eBPF programs (and a private dockerd needs root)")
	}
	bin := func(name string) string { return filepath.Join(*binDir, name) }
	root, err := os.Getwd()
	if err != nil {
		return err
	}

	step("a Docker engine")
	eng, err := findEngine(ctx)
	if err != nil {
		return err
	}
	defer eng.stop()

	step("the workload images kwarden/load:<kind>, into " + eng.host)
	if err := command(ctx, 5*time.Minute, os.Stdout, filepath.Join(root, "scripts/images.sh"), "DOCKER_HOST="+eng.host); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "kwarden-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	step("kwardend, eBPF view (this host cannot load the module), history in " + dir)
	kd, err := startKwardend(ctx, bin("kwardend"), eng.host, dir)
	if err != nil {
		return err
	}
	defer kd.stop()
	fmt.Printf("kwardend answers at %s (log: %s)\n", kd.url, kd.logPath)

	step("one round of the course's generator, profile B")
	var out strings.Builder
	spawnErr := command(ctx, 2*time.Minute, &out, bin("kwarden-spawn"), "", "-profile", "B", "-docker-host", eng.host, "-o", "json")
	var started []spawn.Started
	if err := json.Unmarshal([]byte(out.String()), &started); err != nil && spawnErr == nil {
		spawnErr = fmt.Errorf("kwarden-spawn -o json: %w", err)
	}
	defer eng.remove(started)
	for _, s := range started {
		fmt.Printf("started %s (%s) %.12s\n", s.Name, s.Kind, s.ID)
	}
	if spawnErr != nil {
		return spawnErr
	}

	fmt.Printf("\nletting kwardend watch them for %v...\n", *watch)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*watch):
	}

	step("kwardenctl status")
	if err := command(ctx, 30*time.Second, os.Stdout, bin("kwardenctl"), "", "-addr", kd.url, "status"); err != nil {
		return err
	}
	names := showcase(started)
	step("curl -s " + kd.url + "/metrics | grep container_ (" + strings.Join(names, ", ") + ")")
	return printMetrics(ctx, kd.url, names)
}

// showcase picks the containers whose metrics the demo prints: the first
// cpu and the first ram one, else the first of the round.
func showcase(started []spawn.Started) []string {
	var names []string
	for _, kind := range []string{"cpu", "ram"} {
		if i := slices.IndexFunc(started, func(s spawn.Started) bool { return s.Kind == kind }); i >= 0 {
			names = append(names, started[i].Name)
		}
	}
	if len(names) == 0 && len(started) > 0 {
		names = append(names, started[0].Name)
	}
	return names
}

// step announces what the demo does next.
func step(what string) { fmt.Printf("\n==> %s\n", what) }

// command runs name with args (env, if not empty, added to the
// environment), its output to out and its errors to the terminal, for at
// most limit.
func command(ctx context.Context, limit time.Duration, out io.Writer, name, env string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	if env != "" {
		cmd.Env = append(os.Environ(), env)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(name), err)
	}
	return nil
}

// printMetrics prints the container_ samples of the named containers
// from /metrics.
func printMetrics(ctx context.Context, url string, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get /metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("get /metrics: %w", err)
	}
	shown := 0
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "container_") && slices.ContainsFunc(names, func(n string) bool {
			return strings.Contains(line, `name="`+n+`"`)
		}) {
			fmt.Println(line)
			shown++
		}
	}
	if shown == 0 {
		return fmt.Errorf("/metrics holds no container_ line of the spawned containers (%s)", resp.Status)
	}
	return nil
}
