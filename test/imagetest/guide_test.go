//go:build imagetest

package imagetest

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/kwarden/kwarden/test/labguide"
)

// checkGrafanaPlugin: the plugin, its datasource and its dashboards are
// where Grafana reads them, and parse, whether or not Grafana itself
// could be installed.
func (l *lab) checkGrafanaPlugin(t *testing.T, ctx context.Context) {
	t.Run("grafana-plugin", func(t *testing.T) {
		dir := "/var/lib/grafana/plugins/kwarden-agent-datasource"
		out := l.run(t, ctx, "jq -r '[.id, .type, .backend, .alerting, .streaming, .executable] | @tsv' "+dir+"/plugin.json"+
			" && test -x "+dir+"/gpx_agent_datasource_linux_amd64 && test -s "+dir+"/module.js && echo binary-ok"+
			" && for f in /etc/grafana/provisioning/dashboards/kwarden/*.json; do jq -r '.uid + \" \" + (.panels | length | tostring)' \"$f\"; done")
		if !strings.HasPrefix(out, "kwarden-agent-datasource\tdatasource\ttrue\ttrue\ttrue\tgpx_agent_datasource") ||
			!strings.Contains(out, "binary-ok") || strings.Count(out, "kwarden-") < 5 {
			t.Errorf("the plugin and dashboards as installed:\n%s", out)
		}
		var ds struct {
			APIVersion  int `yaml:"apiVersion"`
			Datasources []struct {
				Type           string            `yaml:"type"`
				SecureJSONData map[string]string `yaml:"secureJsonData"`
			} `yaml:"datasources"`
		}
		if err := yaml.Unmarshal([]byte(l.run(t, ctx, "cat /etc/grafana/provisioning/datasources/kwarden.yaml")), &ds); err != nil {
			t.Fatalf("the datasource's provisioning: %v", err)
		}
		if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "kwarden-agent-datasource" ||
			ds.Datasources[0].SecureJSONData["token"] != "$__file{/etc/grafana/kwarden.token}" {
			t.Errorf("the datasource's provisioning: %+v", ds)
		}
		var prov struct {
			Providers []struct {
				Options map[string]string `yaml:"options"`
			} `yaml:"providers"`
		}
		if err := yaml.Unmarshal([]byte(l.run(t, ctx, "cat /etc/grafana/provisioning/dashboards/kwarden.yaml")), &prov); err != nil ||
			len(prov.Providers) != 1 || prov.Providers[0].Options["path"] != "/etc/grafana/provisioning/dashboards/kwarden" {
			t.Errorf("the dashboards' provider: %+v %v", prov, err)
		}
	})
}

// guidePage is what one page of the lab guide must have shown, on the
// output of its commands in the lab.
var guidePage = map[string]func(t *testing.T, out string){
	"01-proc-kwarden.md": func(t *testing.T, out string) {
		m := regexp.MustCompile(`cpu ([0-9.]+) %`).FindStringSubmatch(out)
		if m == nil {
			t.Fatal("no CPU % line")
		}
		if v, _ := strconv.ParseFloat(m[1], 64); v < 40 || v > 110 {
			t.Errorf("a busy loop at %v %% of a CPU", v)
		}
		mustHave(t, out, `"module":`, `"comm": "bash"`)
	},
	"02-containers.md": func(t *testing.T, out string) {
		if !regexp.MustCompile(`(?m)^0$`).MatchString(out) || !regexp.MustCompile(`(?m)^\s*\d+ containerd-shim$`).MatchString(out) {
			t.Error("the comm counts: want 0 for the long name and some for the 15-byte one")
		}
	},
	"03-rule-b.md": func(t *testing.T, out string) {
		mustHave(t, out, "HIGH (", "LOW (", "DELETED (", "policy.decision", "top-ram.svg", "top-cpu.svg", "ram.svg", "cpu.svg")
		if _, err := os.Stat("/tmp/top-ram.svg"); err != nil {
			t.Errorf("the graph copied to the host: %v", err)
		}
	},
	"04-write-a-policy.md": func(t *testing.T, out string) {
		mustHave(t, out, "keep-oldest", "dry run of keep-oldest", "policy keep-oldest", "is active")
	},
	"05-two-views.md": func(t *testing.T, out string) {
		m := regexp.MustCompile(`missing (\d+), drift`).FindAllStringSubmatch(out, -1)
		if len(m) < 2 {
			t.Fatalf("want two cross-check lines, the lab's and the namespaced one's")
		}
		lab, _ := strconv.Atoi(m[0][1])
		ns, _ := strconv.Atoi(m[len(m)-1][1])
		if lab > 2 || ns < 10 {
			t.Errorf("missing: %d in the lab's cross-check, %d in the namespaced one's", lab, ns)
		}
	},
	"06-hide-a-process.md": func(t *testing.T, out string) {
		mustHave(t, out, "cannot see", "hidden", "mounted over /proc/", "crosscheck.hidden", "kwarden_hidden_processes 1",
			"crosscheck.shown")
	},
	"07-graphs.md": func(t *testing.T, out string) {
		if !regexp.MustCompile(`(?m)^kw-[^\t]+\t[0-9.e+]+$`).MatchString(out) {
			t.Error("no container series from Prometheus")
		}
	},
	"teacher.md": func(t *testing.T, out string) {
		mustHave(t, out, "rule-b-measured-1.3-2.0", "policy newest-per-kind", "policy quota", "note: kwardend ticks every",
			"dry run of newest-per-kind")
	},
}

func mustHave(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q", w)
		}
	}
}

// runLabGuide runs the lab guide as a student would, page by page: the
// blocks for the lab in the lab as vagrant (a login shell, so with the
// token kwardenctl finds), the blocks for the student's machine here, in
// the checkout, with the lab's SSH port and key for 2222 and
// out/lab/vagrant.key. Then each page's output is checked.
func (l *lab) runLabGuide(t *testing.T, ctx context.Context, root, key string) {
	pages, err := labguide.Read(filepath.Join(root, "docs/lab"))
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(l.ssh.Addr, ":")
	host := strings.NewReplacer("-P 2222", "-P "+port, "out/lab/vagrant.key", key,
		"scp ", "scp -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR ")
	for _, p := range pages {
		t.Run(strings.TrimSuffix(p.File, ".md"), func(t *testing.T) {
			check, ok := guidePage[p.File]
			if !ok {
				t.Fatalf("no check for %s: add one", p.File)
			}
			start := time.Now()
			var out strings.Builder
			for _, seg := range p.Segments() {
				switch seg.Where {
				case labguide.VM:
					script := base64.StdEncoding.EncodeToString([]byte(seg.Script))
					o, err := l.ssh.Run(ctx, 8*time.Minute, "echo "+script+" | base64 -d > /tmp/guide.sh && bash -l -e /tmp/guide.sh 2>&1")
					out.WriteString(o)
					if err != nil {
						t.Fatalf("%s, the block at line %d, in the lab: %v\n%s", p.File, seg.Line, err, out.String())
					}
				case labguide.Host:
					cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
					cmd := exec.CommandContext(cctx, "bash", "-e", "-c", host.Replace(seg.Script))
					cmd.Dir = root
					o, err := cmd.CombinedOutput()
					cancel()
					out.Write(o)
					if err != nil {
						t.Fatalf("%s, the block at line %d, on the host: %v\n%s", p.File, seg.Line, err, out.String())
					}
				}
			}
			t.Logf("%s in %.0f s", p.File, time.Since(start).Seconds())
			check(t, out.String())
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}
