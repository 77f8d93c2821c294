package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// policies records what the API asked; the real loop (agent/guard) is
// driven through this API by kwardenctl's TestPolicyCommands.
type policies struct{ used []apiv1.PolicyRequest }

func (p *policies) Policy() apiv1.PolicyAnswer { return apiv1.PolicyAnswer{Enabled: true} }
func (p *policies) PolicyCatalogue() apiv1.PolicyCatalogueAnswer {
	return apiv1.PolicyCatalogueAnswer{Dir: "/p"}
}
func (p *policies) UsePolicy(_ context.Context, r apiv1.PolicyRequest) (apiv1.PolicyAnswer, error) {
	p.used = append(p.used, r)
	switch r.Name {
	case "nope":
		return apiv1.PolicyAnswer{}, ErrUnknownPolicy
	case "broken":
		return apiv1.PolicyAnswer{}, errors.New("checksum mismatch; the old policy stays")
	}
	return apiv1.PolicyAnswer{Enabled: true, Active: &apiv1.PolicyStatus{Name: r.Name}}, nil
}
func (p *policies) DryRunPolicy(context.Context, apiv1.PolicyRequest) (apiv1.PolicyDryRunAnswer, error) {
	return apiv1.PolicyDryRunAnswer{}, nil
}

// The policy routes: POST only where they change something, bodies
// checked before the loop sees them, failures as JSON with the status
// docs/api.md gives.
func TestPolicyRoutes(t *testing.T) {
	p := &policies{}
	srv := testServer(t, newBackend(t), "")
	on := httptest.NewServer(New(newBackend(t), Options{Policies: p}))
	defer on.Close()
	srvOn := on.URL
	do := func(base, method, path, body string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, _, h := do(srvOn, "GET", "/api/v1/policy/use", ""); code != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET use: %d, Allow %q", code, h.Get("Allow"))
	}
	if code, _, h := do(srvOn, "POST", "/api/v1/policy", "{}"); code != 405 || h.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST policy: %d, Allow %q", code, h.Get("Allow"))
	}
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"name": "quota", "config": {"high": 2}}`, 200},
		{`{"name": "nope"}`, 404},
		{`{"name": "broken"}`, 422},
		{`{"name": ""}`, 400},
		{`{"nam": "quota"}`, 400},
		{`{"name": "quota"} {}`, 400},
		{`not json`, 400},
		{`{"name": "quota", "at": "2026-12-01T10:00:00Z"}`, 400},
		{`{"name": "quota", "at": "yesterday"}`, 400},
		{`{"name": "` + strings.Repeat("x", 2<<20) + `"}`, 413},
	} {
		code, body, _ := do(srvOn, "POST", "/api/v1/policy/use", c.body)
		var e apiv1.ErrorAnswer
		if code != c.code || (code != 200 && (json.Unmarshal([]byte(body), &e) != nil || e.Error == "")) {
			t.Errorf("use %.40s: %d %.100s, want %d", c.body, code, body, c.code)
		}
	}
	if len(p.used) != 3 || string(p.used[0].Config) != `{"high": 2}` {
		t.Errorf("the loop was asked %+v", p.used)
	}
	// Without a loop: the state says so, the rest is 404.
	if code, body, _ := do(srv.URL, "GET", "/api/v1/policy", ""); code != 200 || !strings.Contains(body, `"enabled":false`) {
		t.Errorf("policy without a loop: %d %s", code, body)
	}
	if code, body, _ := do(srv.URL, "POST", "/api/v1/policy/use", `{"name": "quota"}`); code != 404 || !strings.Contains(body, "policy loop is off") {
		t.Errorf("use without a loop: %d %s", code, body)
	}
}
