package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The policy section: durations as strings, the enforcer's settings,
// the policy's own configuration passed through untouched; flags and
// environment over the file; unknown fields refused.
func TestPolicyConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"policy": {"dir": "/usr/lib/kwarden/policies", "use": "quota", "config": {"high": 2, "low": 3},
		"decide_timeout": "500ms", "stop_timeout": "3s", "dry_run": true, "max_per_round": 4,
		"protect": {"names": ["grafana", "/kwarden-.*/"]}}}`, 0o644)
	c, err := load([]string{"-config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy
	if p.Dir != "/usr/lib/kwarden/policies" || p.Use != "quota" || string(p.Config) != `{"high": 2, "low": 3}` ||
		time.Duration(p.DecideTimeout) != 500*time.Millisecond || p.enforcer().StopTimeout != 3*time.Second || !p.DryRun || p.MaxPerRound != 4 ||
		len(p.Protect.Names) != 2 {
		t.Errorf("policy section: %+v", p)
	}
	if time.Duration(p.PressureStall) != 200*time.Millisecond || time.Duration(p.PressureWindow) != 2*time.Second {
		t.Errorf("pressure trigger defaults: %v in %v", p.PressureStall, p.PressureWindow)
	}
	writeFile(t, filepath.Join(filepath.Dir(file), "off.json"), `{"policy": {"dir": "/p", "pressure_stall": "0"}}`, 0o644)
	if c, err := load([]string{"-config", filepath.Join(filepath.Dir(file), "off.json")}, env(nil)); err != nil || c.Policy.PressureStall != 0 {
		t.Errorf("pressure_stall 0: %v %v", c.Policy.PressureStall, err)
	}
	if c, err := load(nil, env(nil)); err != nil || time.Duration(c.Policy.PressureStall) != 200*time.Millisecond {
		t.Errorf("no config file: pressure stall %v %v", c.Policy.PressureStall, err)
	}
	c, err = load([]string{"-config", file, "-policy", "threshold", "-policy-dir", "/p"}, env(map[string]string{"KWARDEN_POLICY": "pressure"}))
	if err != nil || c.Policy.Use != "threshold" || c.Policy.Dir != "/p" || string(c.Policy.Config) != `{"high": 2, "low": 3}` {
		t.Errorf("flags over file: %+v %v", c.Policy, err)
	}
	for _, bad := range []string{`{"policy": {"dri": "/x"}}`, `{"policy": {"stop_timeout": "soon"}}`, `{"policy": {"protect": {"namez": []}}}`} {
		writeFile(t, file, bad, 0o644)
		if _, err := load([]string{"-config", file}, env(nil)); err == nil || !strings.Contains(err.Error(), "policy") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// The webhook section reaches agent/webhook as written, durations as
// strings; a bad URL stops kwardend at start with the reason.
func TestWebhookConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"webhook": {"url": "https://127.0.0.1:9443/log", "kinds": ["policy.", "docker."], "timeout": "5s", "max_backoff": "2m"}}`, 0o600)
	c, err := load([]string{"-config", file}, env(nil))
	if err != nil || c.Webhook == nil || c.Webhook.URL != "https://127.0.0.1:9443/log" || c.Webhook.Timeout != 5*time.Second ||
		c.Webhook.MaxBackoff != 2*time.Minute || len(c.Webhook.Kinds) != 2 {
		t.Fatalf("webhook section: %+v %v", c.Webhook, err)
	}
	if c, _ := load(nil, env(nil)); c.Webhook != nil {
		t.Errorf("a webhook without a config: %+v", c.Webhook)
	}
}

// kwardend starts its policy loop with -docker-host: the loop's Docker
// client takes the address when it is made. Set on a client already
// made, it failed ("cannot apply host to transport: *otelhttp.Transport")
// and kwardend would not start with a policy directory and an address.
func TestPolicyLoopWithDockerHost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "policies")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "catalogue.json"), `{"policies": []}`, 0o644)
	r := startRun(t, nil, "-policy-dir", dir) // quietArgs give -docker-host
	if err := r.stop(t); err != nil {
		t.Errorf("stop: %v", err)
	}
	if !strings.Contains(r.log.String(), `"msg":"policy loop"`) {
		t.Errorf("no policy loop:\n%s", r.log)
	}
}
