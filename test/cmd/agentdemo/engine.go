package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/kwarden/kwarden/agent/spawn"
	"github.com/kwarden/kwarden/test/dockertest"
)

// engine is the Docker engine the demo uses: the system's (DOCKER_HOST or
// its socket) when it answers, else a private dockerd the demo started
// and stops.
type engine struct {
	host    string
	private *dockertest.Daemon
}

// findEngine pings the system's engine and starts a private one when it
// does not answer within 5 s: a machine with docker.io installed but no
// dockerd running (no systemd) is the common case of a new user.
func findEngine(ctx context.Context) (*engine, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = client.DefaultDockerHost
	}
	perr := ping(ctx, host)
	if perr == nil {
		fmt.Printf("using the Docker engine at %s\n", host)
		return &engine{host: host}, nil
	}
	fmt.Printf("no Docker engine answers at %s (%v)\n", host, perr)
	fmt.Println("starting a private dockerd, as the tests do: its own data root under /tmp, --bridge=none --iptables=false, its own socket")
	d, err := dockertest.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("start a private dockerd: %w", err)
	}
	fmt.Printf("private dockerd at %s (log: %s/dockerd.log); the demo stops it at the end\n", d.Host, d.Dir)
	return &engine{host: d.Host, private: d}, nil
}

func ping(ctx context.Context, host string) error {
	dc, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer dc.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = dc.Ping(ctx)
	return err
}

// remove removes the containers the round started, and only those: on
// the system's engine other containers are the user's.
func (e *engine) remove(started []spawn.Started) {
	if len(started) == 0 {
		return
	}
	fmt.Printf("\nremoving the %d containers the demo started\n", len(started))
	dc, err := client.NewClientWithOpts(client.WithHost(e.host), client.WithAPIVersionNegotiation())
	if err != nil {
		fmt.Fprintln(os.Stderr, "agentdemo: remove containers:", err)
		return
	}
	defer dc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range started {
		if err := dc.ContainerRemove(ctx, s.ID, container.RemoveOptions{Force: true}); err != nil {
			fmt.Fprintf(os.Stderr, "agentdemo: remove %s: %v\n", s.Name, err)
		}
	}
}

// stop stops the private dockerd, if the demo started one.
func (e *engine) stop() {
	if e.private == nil {
		return
	}
	fmt.Println("stopping the private dockerd")
	if err := e.private.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "agentdemo: stop the private dockerd:", err)
	}
}
