package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
	"go.yaml.in/yaml/v3"
)

const provisioning = "../provisioning"

// The provisioning files parse, name this plugin and its datasource,
// hold settings the backend accepts, and point the dashboards' provider
// at the folder the dashboards go to; grafana.ini allows the unsigned
// plugin. No Grafana runs here: these are the checks it would make
// first.
func TestProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name           string            `yaml:"name"`
			Type           string            `yaml:"type"`
			UID            string            `yaml:"uid"`
			Access         string            `yaml:"access"`
			JSONData       map[string]any    `yaml:"jsonData"`
			SecureJSONData map[string]string `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(provisioning, "datasources/kwarden.yaml"), &ds)
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 {
		t.Fatalf("datasources: apiVersion %d, %d datasources", ds.APIVersion, len(ds.Datasources))
	}
	d := ds.Datasources[0]
	if d.Type != PluginID || d.UID != DatasourceUID || d.Access != "proxy" {
		t.Errorf("datasource %s: type %q, uid %q, access %q", d.Name, d.Type, d.UID, d.Access)
	}
	jd, err := json.Marshal(d.JSONData)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.LoadSettings(backend.DataSourceInstanceSettings{JSONData: jd, DecryptedSecureJSONData: d.SecureJSONData})
	if err != nil || len(s.Agents) == 0 {
		t.Errorf("the backend refuses the provisioned settings: %v", err)
	}
	if _, ok := d.SecureJSONData[models.SecretToken]; !ok {
		t.Errorf("secureJsonData has no %s", models.SecretToken)
	}

	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(provisioning, "dashboards/kwarden.yaml"), &prov)
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" {
		t.Fatalf("dashboard providers: %+v", prov)
	}
	// The provider reads the folder the dashboards are copied to: the
	// one beside its file, by the same name.
	if p := prov.Providers[0].Options.Path; p != "/etc/grafana/provisioning/dashboards/"+filepath.Base(dir) {
		t.Errorf("the provider reads %s, the dashboards go to /etc/grafana/provisioning/dashboards/%s", p, filepath.Base(dir))
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(files) != len(All()) {
		t.Errorf("%d dashboards in %s, want %d", len(files), dir, len(All()))
	}

	ini, err := os.ReadFile(filepath.Join(provisioning, "grafana.ini"))
	if err != nil {
		t.Fatal(err)
	}
	section := ""
	allowed := false
	for _, line := range strings.Split(string(ini), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Errorf("grafana.ini: %q is not key = value", line)
			}
			if section == "plugins" && strings.TrimSpace(k) == "allow_loading_unsigned_plugins" &&
				slices.Contains(strings.Split(strings.ReplaceAll(v, " ", ""), ","), PluginID) {
				allowed = true
			}
		}
	}
	if !allowed {
		t.Errorf("grafana.ini does not allow %s in [plugins] allow_loading_unsigned_plugins", PluginID)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
