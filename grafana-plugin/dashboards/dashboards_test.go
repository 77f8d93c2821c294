package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/kwarden/kwarden/grafana-plugin/pkg/models"
)

var update = flag.Bool("update", false, "write the dashboards' JSON into ../provisioning/dashboards")

const dir = "../provisioning/dashboards/kwarden"

// The committed JSON is what the code gives; -update writes it.
func TestDashboardsCommitted(t *testing.T) {
	names := []string{}
	for name, b := range All() {
		names = append(names, name)
		got, err := JSON(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the code (%v): run go test ./dashboards -update and commit", path, err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		if !slices.Contains(names, filepath.Base(f)) {
			t.Errorf("%s is made by no code here", f)
		}
	}
}

// Every committed dashboard is valid against the foundation SDK's
// dashboard model (strict: no unknown key), has unique panel ids and
// positions on the grid, and every panel and annotation queries this
// datasource with a query the plugin accepts. The course's two
// dashboards have 8 panels each.
func TestDashboardsValid(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	Register()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 4 {
		t.Fatalf("%d dashboards in %s, want 4", len(files), dir)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard.Dashboard
		if err := noErrors(d.UnmarshalJSONStrict(raw)); err != nil {
			t.Errorf("%s: not Grafana's dashboard model: %v", f, err)
			continue
		}
		if err := d.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		var generic struct {
			Panels []struct {
				Title      string            `json:"title"`
				Type       string            `json:"type"`
				Datasource map[string]string `json:"datasource"`
				Targets    []json.RawMessage `json:"targets"`
			} `json:"panels"`
			Annotations struct {
				List []struct {
					Datasource map[string]string `json:"datasource"`
					Target     json.RawMessage   `json:"target"`
				} `json:"list"`
			} `json:"annotations"`
		}
		if err := json.Unmarshal(raw, &generic); err != nil {
			t.Fatal(err)
		}
		if base := filepath.Base(f); (base == "kwarden-containers.json" || base == "kwarden-system.json") && len(generic.Panels) != 8 {
			t.Errorf("%s: %d panels, the course's dashboard has 8", f, len(generic.Panels))
		}
		checkDS := func(where string, ds map[string]string) {
			if ds["type"] != PluginID || ds["uid"] != DatasourceUID {
				t.Errorf("%s: %s uses datasource %v, want %s/%s", f, where, ds, PluginID, DatasourceUID)
			}
		}
		checkTarget := func(where string, raw json.RawMessage) {
			var tg struct {
				QueryType  string            `json:"queryType"`
				RefID      string            `json:"refId"`
				Datasource map[string]string `json:"datasource"`
			}
			if err := json.Unmarshal(raw, &tg); err != nil || tg.RefID == "" {
				t.Errorf("%s: %s: target %s: %v", f, where, raw, err)
				return
			}
			checkDS(where+"'s target", tg.Datasource)
			if _, err := models.ParseQuery(tg.QueryType, raw); err != nil {
				t.Errorf("%s: %s: %v", f, where, err)
			}
		}
		for _, p := range generic.Panels {
			checkDS("panel "+p.Title, p.Datasource)
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %s has no query", f, p.Title)
			}
			for _, tg := range p.Targets {
				checkTarget("panel "+p.Title, tg)
			}
		}
		for _, a := range generic.Annotations.List {
			checkDS("an annotation", a.Datasource)
			checkTarget("an annotation", a.Target)
		}
		if !strings.Contains(string(raw), `"uid": "kwarden-`) {
			t.Errorf("%s: no kwarden- uid", f)
		}
	}
}

// noErrors is err, but nil for an empty cog.BuildErrors: the SDK's
// strict reader returns its empty list as a non-nil error.
func noErrors(err error) error {
	if be, ok := err.(cog.BuildErrors); ok && len(be) == 0 {
		return nil
	}
	return err
}
