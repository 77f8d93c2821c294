package main

import (
	"context"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// dockerAPI is the engine both daemons watch; peerbench only asks it for
// the two measured containers' first processes and the running count.
type dockerAPI struct{ c *client.Client }

func newDockerAPI(host string) (*dockerAPI, error) {
	c, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", host, err)
	}
	return &dockerAPI{c: c}, nil
}

func (d *dockerAPI) Close() error { return d.c.Close() }

// inspect returns the host pid of the first process of the running
// container called name.
func (d *dockerAPI) inspect(ctx context.Context, name string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	in, err := d.c.ContainerInspect(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("inspect %s: %w", name, err)
	}
	if in.State == nil || !in.State.Running || in.State.Pid == 0 {
		return 0, fmt.Errorf("container %s is not running", name)
	}
	return in.State.Pid, nil
}

// running is the number of running containers.
func (d *dockerAPI) running(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := d.c.ContainerList(ctx, container.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	return len(list), nil
}
