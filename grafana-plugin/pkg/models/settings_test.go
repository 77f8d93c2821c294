package models

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func TestLoadSettings(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{
		JSONData:                []byte(`{"agents":[{"name":"lab-1","url":"http://10.0.0.1:9070"},{"url":" http://lab2:9070 "}],"timeoutSeconds":2.5}`),
		DecryptedSecureJSONData: map[string]string{"token": "s3cret-token-0123456789"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Agents) != 2 || s.Agents[0].Name != "lab-1" || s.Agents[1].Name != "lab2:9070" || s.Agents[1].URL != "http://lab2:9070" {
		t.Errorf("agents %+v: want lab-1, and lab2:9070 named after its host", s.Agents)
	}
	if s.Secrets.Token != "s3cret-token-0123456789" || s.Timeout() != 2500*time.Millisecond {
		t.Errorf("token %q, timeout %v", s.Secrets.Token, s.Timeout())
	}
}

// Grafana's own URL field is one agent, so a one-machine datasource
// needs no list.
func TestLoadSettingsURLField(t *testing.T) {
	s, err := LoadSettings(backend.DataSourceInstanceSettings{URL: "http://127.0.0.1:9070"})
	if err != nil || len(s.Agents) != 1 || s.Agents[0].Name != "127.0.0.1:9070" || s.Timeout() != DefaultTimeout {
		t.Fatalf("settings %+v, %v", s, err)
	}
}

func TestLoadSettingsRefuses(t *testing.T) {
	for json, want := range map[string]string{
		`{`:                              "read the datasource's settings",
		`{}`:                             "no agents configured",
		`{"agents":[{"url":"ftp://x"}]}`: "want http://host:port",
		`{"agents":[{"name":"a","url":"http://x:1"},{"name":"a","url":"http://y:1"}]}`: "used twice",
	} {
		_, err := LoadSettings(backend.DataSourceInstanceSettings{JSONData: []byte(json)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", json, err, want)
		}
	}
}
