// Command dockerup starts a private dockerd (as the tests do: no bridge,
// no iptables, its own data root) with n kwarden/load:low containers, prints
// its address and keeps it up until interrupted. A developer's fixture:
//
//	go run ./test/cmd/dockerup -n 200 &
//	go run ./test/cmd/agentbench -host unix:///tmp/kwd-…/docker.sock -cpuprofile cpu.prof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kwarden/kwarden/test/dockertest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dockerup:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 200, "low containers to start")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	eng, err := dockertest.StartWithImages(ctx, root)
	if err != nil {
		return err
	}
	defer eng.Stop()
	if err := eng.RunLow(ctx, "kwu", 0, *n); err != nil {
		return err
	}
	fmt.Println(eng.Host)
	<-ctx.Done()
	return nil
}
