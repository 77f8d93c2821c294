package plugin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/kwarden/kwarden/agent/client"
)

// knownKinds are the course generator's kinds, offered even before any
// container of that kind ran.
var knownKinds = []string{"cpu", "ram", "io", "disk", "low"}

// Resource paths: what the query editor's dropdowns ask for.
const (
	resAgents     = "agents"
	resContainers = "containers"
	resKinds      = "kinds"
	resPolicies   = "policies"
)

// AgentInfo is an entry of the agents resource.
type AgentInfo struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// ContainerInfo is an entry of the containers resource.
type ContainerInfo struct {
	Agent   string `json:"agent"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	Kind    string `json:"kind,omitempty"`
	State   string `json:"state"`
	Removed bool   `json:"removed,omitempty"`
}

// PolicyInfo is an entry of the policies resource.
type PolicyInfo struct {
	Agent  string `json:"agent"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// ResourceAnswer is every resource's body: the entries, and the agents
// that did not answer (the others' entries still come).
type ResourceAnswer[T any] struct {
	Items  []T      `json:"items"`
	Errors []string `json:"errors,omitempty"`
}

// CallResource serves GET agents, containers, kinds and policies, each
// with an optional agent=NAME (repeatable); containers also takes
// all=true for the removed ones.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	if req.Method != http.MethodGet {
		return sendJSON(sender, http.StatusMethodNotAllowed, map[string]string{"error": "only GET"})
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return sendJSON(sender, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	agents, err := d.agents.pick(u.Query()["agent"])
	if err != nil {
		return sendJSON(sender, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	switch strings.Trim(req.Path, "/") {
	case resAgents:
		var out ResourceAnswer[AgentInfo]
		for _, a := range agents {
			out.Items = append(out.Items, AgentInfo{Name: a.name, URL: a.url})
		}
		return sendJSON(sender, http.StatusOK, out)
	case resContainers:
		return sendJSON(sender, http.StatusOK, d.containerInfos(ctx, agents, u.Query().Get("all") == "true"))
	case resKinds:
		cs := d.containerInfos(ctx, agents, true)
		out := ResourceAnswer[string]{Items: slices.Clone(knownKinds), Errors: cs.Errors}
		for _, c := range cs.Items {
			if c.Kind != "" && !slices.Contains(out.Items, c.Kind) {
				out.Items = append(out.Items, c.Kind)
			}
		}
		return sendJSON(sender, http.StatusOK, out)
	case resPolicies:
		var out ResourceAnswer[PolicyInfo]
		for _, r := range each(ctx, agents, func(ctx context.Context, a *agent) ([]PolicyInfo, error) {
			cat, err := a.c.PolicyCatalogue(ctx)
			if err != nil {
				return nil, err
			}
			var ps []PolicyInfo
			for _, p := range cat.Policies {
				ps = append(ps, PolicyInfo{Agent: a.name, Name: p.Name, Active: p.Active})
			}
			return ps, nil
		}) {
			if r.err != nil {
				out.Errors = append(out.Errors, agentError(r.agent, r.err).Error())
			}
			out.Items = append(out.Items, r.val...)
		}
		return sendJSON(sender, http.StatusOK, out)
	}
	return sendJSON(sender, http.StatusNotFound, map[string]string{"error": "no resource " + req.Path +
		": want " + strings.Join([]string{resAgents, resContainers, resKinds, resPolicies}, ", ")})
}

func (d *Datasource) containerInfos(ctx context.Context, agents []*agent, all bool) ResourceAnswer[ContainerInfo] {
	var out ResourceAnswer[ContainerInfo]
	for _, r := range each(ctx, agents, func(ctx context.Context, a *agent) ([]ContainerInfo, error) {
		ans, err := a.c.Containers(ctx, client.ContainersQuery{All: all})
		if err != nil {
			return nil, err
		}
		var cs []ContainerInfo
		for _, c := range ans.Containers {
			cs = append(cs, ContainerInfo{Agent: a.name, ID: c.ID, Name: c.Name, Kind: c.Kind, State: c.State, Removed: !c.Removed.IsZero()})
		}
		return cs, nil
	}) {
		if r.err != nil {
			out.Errors = append(out.Errors, agentError(r.agent, r.err).Error())
		}
		out.Items = append(out.Items, r.val...)
	}
	sort.SliceStable(out.Items, func(i, j int) bool { return out.Items[i].Name < out.Items[j].Name })
	return out
}

func sendJSON(sender backend.CallResourceResponseSender, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sender.Send(&backend.CallResourceResponse{Status: status, Body: b,
		Headers: map[string][]string{"Content-Type": {"application/json"}}})
}
