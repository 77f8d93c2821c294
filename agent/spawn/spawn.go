// Package spawn reproduces the course's workload generator ("the cron
// script") with kwarden's images: profile A, B or C decides how many
// containers, of which kinds, living how long. Every container gets a
// unique name (kind, timestamp, random suffix), the kwarden.kind label and
// a kwarden.profile label, no network, and removes itself when its
// workload ends.
package spawn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// Workload is one kind with its arguments.
type Workload struct {
	Kind string
	Args []string
}

// Profile is one version of the course's generator.
type Profile struct {
	Name      string
	Count     int           // containers per run
	Every     time.Duration // how often the course's cron ran it
	Lifetime  time.Duration // 0: until removed by the manager
	Workloads []Workload    // chosen at random for each container
}

// Profiles are the course's three versions.
var Profiles = map[string]Profile{
	// A: 10 random containers every 30 s of 4 kinds, each living 30 s.
	"A": {Name: "A", Count: 10, Every: 30 * time.Second, Lifetime: 30 * time.Second, Workloads: []Workload{
		{"ram", []string{"-bytes", "64MB"}}, {"cpu", []string{"-workers", "2"}}, {"io", nil}, {"disk", []string{"-bytes", "100MB"}},
	}},
	// B: 10 random containers every minute: high CPU, high RAM, low.
	"B": {Name: "B", Count: 10, Every: time.Minute, Workloads: []Workload{
		{"cpu", []string{"-workers", "1"}}, {"ram", []string{"-bytes", "128MiB"}}, {"low", nil},
	}},
	// C: 5 containers every 2 minutes, B's kinds.
	"C": {Name: "C", Count: 5, Every: 2 * time.Minute, Workloads: []Workload{
		{"cpu", []string{"-workers", "1"}}, {"ram", []string{"-bytes", "128MiB"}}, {"low", nil},
	}},
}

// Started is one container Run started.
type Started struct {
	ID, Name, Kind string
}

// Run starts one round of profile p on the engine cli talks to.
func Run(ctx context.Context, cli *client.Client, p Profile) ([]Started, error) {
	var out []Started
	for range p.Count {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(p.Workloads))))
		if err != nil {
			return out, err
		}
		w := p.Workloads[n.Int64()]
		name, err := uniqueName(w.Kind, time.Now())
		if err != nil {
			return out, err
		}
		cmd := append([]string(nil), w.Args...)
		if p.Lifetime > 0 {
			cmd = append(cmd, "-duration", p.Lifetime.String())
		}
		cctx, cancel := context.WithTimeout(ctx, startTimeout)
		created, err := cli.ContainerCreate(cctx, &container.Config{
			Image:  "kwarden/load:" + w.Kind,
			Cmd:    cmd,
			Labels: map[string]string{"kwarden.kind": w.Kind, "kwarden.profile": p.Name, "kwarden.spawned": "true"},
		}, &container.HostConfig{NetworkMode: "none", AutoRemove: p.Lifetime > 0}, nil, nil, name)
		if err == nil {
			err = cli.ContainerStart(cctx, created.ID, container.StartOptions{})
		}
		cancel()
		if err != nil {
			return out, fmt.Errorf("start %s: %w", name, err)
		}
		out = append(out, Started{ID: created.ID, Name: name, Kind: w.Kind})
	}
	return out, nil
}

// startTimeout bounds creating and starting one container. Docker takes
// well under a second on a real machine; in the lab VM under TCG (no
// KVM), a start was seen to take more than 30 s.
const startTimeout = 2 * time.Minute

// uniqueName is kind-timestamp-random, as the course's script named them.
func uniqueName(kind string, now time.Time) (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("kw-%s-%s-%s", kind, now.UTC().Format("20060102T150405"), hex.EncodeToString(b)), nil
}
