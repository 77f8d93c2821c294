package plugin

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

// agent is one kwardend the datasource addresses.
type agent struct {
	name string
	url  string
	c    *client.Client
}

// agentSet holds one client per agent, sharing one transport: the
// datasource's connections to its agents are pooled and bounded
// together.
type agentSet struct {
	agents    []*agent
	transport *http.Transport
}

func newAgentSet(s *models.Settings) (*agentSet, error) {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   8,
		MaxConnsPerHost:       16, // a panel's burst of series calls, not a flood: the agent serves history queries in turns
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: s.Timeout(),
	}
	hc := &http.Client{Transport: tr}
	set := &agentSet{transport: tr}
	for _, a := range s.Agents {
		c, err := client.New(client.Options{Addr: a.URL, Token: s.Secrets.Token, Timeout: s.Timeout(), HTTPClient: hc})
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", a.Name, err)
		}
		set.agents = append(set.agents, &agent{name: a.Name, url: a.URL, c: c})
	}
	return set, nil
}

// pick returns the agents a query names, all of them when it names
// none; an unknown name is an error, so a typo is not an empty panel.
func (s *agentSet) pick(names []string) ([]*agent, error) {
	if len(names) == 0 {
		return s.agents, nil
	}
	var out []*agent
	for _, n := range names {
		i := slices.IndexFunc(s.agents, func(a *agent) bool { return a.name == n })
		if i < 0 {
			return nil, fmt.Errorf("no agent named %q: this datasource has %s", n, strings.Join(s.names(), ", "))
		}
		out = append(out, s.agents[i])
	}
	return out, nil
}

func (s *agentSet) names() []string {
	var out []string
	for _, a := range s.agents {
		out = append(out, a.name)
	}
	return out
}

func (s *agentSet) close() { s.transport.CloseIdleConnections() }

// result is one agent's part of an answer.
type result[T any] struct {
	agent *agent
	val   T
	err   error
}

// each calls fn for every agent at once and returns the results in the
// agents' order. A slow agent delays the answer only up to the client's
// timeout; a failed one is an error in its own result.
func each[T any](ctx context.Context, agents []*agent, fn func(context.Context, *agent) (T, error)) []result[T] {
	out := make([]result[T], len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		out[i].agent = a
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].val, out[i].err = fn(ctx, a)
		}()
	}
	wg.Wait()
	return out
}

// agentError says which agent failed and why, in words a person acts on.
func agentError(a *agent, err error) error {
	switch {
	case client.IsStatus(err, http.StatusUnauthorized):
		return fmt.Errorf("agent %s (%s): the token was refused: check the datasource's token", a.name, a.url)
	case client.IsStatus(err, http.StatusServiceUnavailable):
		return fmt.Errorf("agent %s (%s): busy with other history queries, try again: %w", a.name, a.url, err)
	}
	return fmt.Errorf("agent %s (%s): %w", a.name, a.url, err)
}
