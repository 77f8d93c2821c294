package models

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// DefaultTimeout bounds each call to an agent when the settings name
// no timeout: long enough for a month's ranking on a busy agent, short
// enough that a dead agent does not hold a panel.
const DefaultTimeout = 10 * time.Second

// Agent is one kwardend the datasource addresses.
type Agent struct {
	// Name labels the agent's frames and picks it in queries; "" takes
	// the URL's host:port.
	Name string `json:"name"`
	// URL is the agent's base URL (http://host:9070).
	URL string `json:"url"`
}

// Settings are the datasource's jsonData: what Grafana stores in the
// clear.
type Settings struct {
	// Agents are the agents, one per machine of a classroom.
	Agents []Agent `json:"agents"`
	// TimeoutSeconds bounds each call to an agent; 0 means DefaultTimeout.
	TimeoutSeconds float64 `json:"timeoutSeconds,omitempty"`

	// Secrets are decrypted from secureJsonData; they never go back to
	// the browser.
	Secrets Secrets `json:"-"`
}

// Secrets are the datasource's secureJsonData.
type Secrets struct {
	// Token is the agents' bearer token (kwardend's -token-file).
	Token string
}

// SecretToken is the secureJsonData key of the agents' token.
const SecretToken = "token"

// Timeout is the bound on each call to an agent.
func (s *Settings) Timeout() time.Duration {
	if s.TimeoutSeconds <= 0 {
		return DefaultTimeout
	}
	return time.Duration(s.TimeoutSeconds * float64(time.Second))
}

// LoadSettings parses and checks the datasource's settings. A datasource
// with no agents but a URL (Grafana's own URL field) addresses that one
// agent, so a one-machine setup needs nothing more.
func LoadSettings(src backend.DataSourceInstanceSettings) (*Settings, error) {
	s := &Settings{}
	if len(src.JSONData) > 0 {
		if err := json.Unmarshal(src.JSONData, s); err != nil {
			return nil, fmt.Errorf("read the datasource's settings: %w", err)
		}
	}
	if len(s.Agents) == 0 && src.URL != "" {
		s.Agents = []Agent{{URL: src.URL}}
	}
	if len(s.Agents) == 0 {
		return nil, fmt.Errorf("no agents configured: add one agent URL (http://host:9070) at least")
	}
	seen := map[string]bool{}
	for i := range s.Agents {
		a := &s.Agents[i]
		a.URL = strings.TrimSpace(a.URL)
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("agent %d: URL %q: want http://host:port", i+1, a.URL)
		}
		a.Name = strings.TrimSpace(a.Name)
		if a.Name == "" {
			a.Name = u.Host
		}
		if seen[a.Name] {
			return nil, fmt.Errorf("agent name %q is used twice: each agent needs its own name", a.Name)
		}
		seen[a.Name] = true
	}
	s.Secrets = Secrets{Token: src.DecryptedSecureJSONData[SecretToken]}
	return s, nil
}
