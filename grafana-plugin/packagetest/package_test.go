package packagetest

import (
	"archive/zip"
	"debug/elf"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kwarden/kwarden/test/testenv"
)

const dist = "../dist"

// arches are the architectures the plugin ships for: Grafana's
// executable name gets _linux_<arch>.
var arches = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// idPattern is Grafana's rule for a plugin id: org-name-type.
var idPattern = regexp.MustCompile(`^[0-9a-z]+-([0-9a-z]+-)*(app|panel|datasource)$`)

type pluginJSON struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	ID         string `json:"id"`
	Backend    bool   `json:"backend"`
	Alerting   bool   `json:"alerting"`
	Streaming  bool   `json:"streaming"`
	Executable string `json:"executable"`
	Info       struct {
		Author struct {
			Name string `json:"name"`
		} `json:"author"`
		Logos struct {
			Small string `json:"small"`
			Large string `json:"large"`
		} `json:"logos"`
		Version string `json:"version"`
		Updated string `json:"updated"`
	} `json:"info"`
	Dependencies struct {
		GrafanaDependency string `json:"grafanaDependency"`
	} `json:"dependencies"`
}

func readPlugin(t *testing.T) pluginJSON {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, "plugin.json"))
	testenv.RequireNoErr(t, err, "the built plugin (make grafana-plugin)")
	var p pluginJSON
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("plugin.json: %v", err)
	}
	return p
}

func TestPluginJSON(t *testing.T) {
	p := readPlugin(t)
	for key, v := range map[string]string{"type": p.Type, "name": p.Name, "id": p.ID, "info.author.name": p.Info.Author.Name,
		"info.logos.small": p.Info.Logos.Small, "info.logos.large": p.Info.Logos.Large, "info.version": p.Info.Version,
		"info.updated": p.Info.Updated, "dependencies.grafanaDependency": p.Dependencies.GrafanaDependency} {
		if v == "" || strings.Contains(v, "%") {
			t.Errorf("plugin.json: %s is %q", key, v)
		}
	}
	if p.ID != "kwarden-agent-datasource" || !idPattern.MatchString(p.ID) || !strings.HasSuffix(p.ID, "-"+p.Type) {
		t.Errorf("plugin.json: id %q of type %q: want kwarden-agent-datasource, org-name-type", p.ID, p.Type)
	}
	if p.Alerting && !p.Backend {
		t.Error("plugin.json: alerting without backend: Grafana runs alert rules on the backend")
	}
	if !p.Backend || !p.Alerting || !p.Streaming || p.Executable == "" {
		t.Errorf("plugin.json: backend %v, alerting %v, streaming %v, executable %q", p.Backend, p.Alerting, p.Streaming, p.Executable)
	}
	for _, f := range []string{"module.js", p.Info.Logos.Small, p.Info.Logos.Large} {
		if st, err := os.Stat(filepath.Join(dist, f)); err != nil || st.Size() == 0 {
			t.Errorf("dist/%s: %v", f, err)
		}
	}
}

// Each architecture's executable: there, 0755, an ELF of that machine,
// statically linked (a Grafana host need not have our libc).
func TestExecutables(t *testing.T) {
	p := readPlugin(t)
	for arch, machine := range arches {
		path := filepath.Join(dist, p.Executable+"_linux_"+arch)
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", arch, err)
			continue
		}
		if st.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", path, st.Mode().Perm())
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if f.Machine != machine {
			t.Errorf("%s: machine %v, want %v", path, f.Machine, machine)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s: dynamically linked", path)
			}
		}
		f.Close()
	}
}

// The zip Grafana installs: one top folder, the id, holding plugin.json,
// module.js and the executables with their mode.
func TestZip(t *testing.T) {
	p := readPlugin(t)
	name := filepath.Join("..", p.ID+"-"+p.Info.Version+".zip")
	z, err := zip.OpenReader(name)
	testenv.RequireNoErr(t, err, "the plugin's zip (make grafana-plugin)")
	defer z.Close()
	tops := map[string]bool{}
	files := map[string]os.FileMode{}
	for _, f := range z.File {
		top, rest, _ := strings.Cut(f.Name, "/")
		tops[top] = true
		files[rest] = f.Mode()
	}
	if len(tops) != 1 || !tops[p.ID] {
		t.Errorf("%s: top folders %v, want only %s", name, tops, p.ID)
	}
	for _, want := range []string{"plugin.json", "module.js"} {
		if _, ok := files[want]; !ok {
			t.Errorf("%s has no %s/%s", name, p.ID, want)
		}
	}
	for arch := range arches {
		exe := p.Executable + "_linux_" + arch
		if m, ok := files[exe]; !ok || m.Perm() != 0o755 {
			t.Errorf("%s: %s/%s mode %v (present %v), want 0755", name, p.ID, exe, m.Perm(), ok)
		}
	}
}
