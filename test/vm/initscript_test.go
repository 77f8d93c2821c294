package vm

import (
	"os/exec"
	"strings"
	"testing"
)

func TestInitScript(t *testing.T) {
	s, err := initScript(InitOptions{
		Command:      []string{"/bin/sh", "-c", "echo 'it''s'; exit 3"},
		Env:          []string{"A=1", "B=with space", "C=it's"},
		Modules:      []string{"/lib/modules/kw.ko", "/m dir/x.ko"},
		MountCgroup2: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#!/bin/sh\n",
		"kw_mount proc proc /proc\n",
		"kw_mount sysfs sysfs /sys\n",
		"kw_mount devtmpfs devtmpfs /dev\n",
		"kw_mount tmpfs tmpfs /tmp\n",
		"kw_mount cgroup2 cgroup2 /sys/fs/cgroup\n",
		"echo KWTEST-INIT\n",
		"insmod '/lib/modules/kw.ko'\n",
		`echo "KWTEST-INSMOD $kw_rc" '/m dir/x.ko'`,
		"export B='with space'\n",
		`export C='it'\''s'` + "\n",
		`'/bin/sh' '-c' 'echo '\''it'\'''\''s'\''; exit 3' </dev/null`,
		`echo "KWTEST-EXIT $kw_rc"`,
		"echo o > /proc/sysrq-trigger",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "insmod '/m dir/x.ko'") > strings.Index(s, "'/bin/sh' '-c'") {
		t.Error("modules are loaded after the command")
	}

	// The script must be valid busybox sh.
	bb := requireBusybox(t)
	out, err := exec.CommandContext(t.Context(), bb, "sh", "-n", "-c", s).CombinedOutput()
	if err != nil {
		t.Fatalf("busybox sh -n: %v\n%s", err, out)
	}
}

func TestInitScriptNoCgroupByDefault(t *testing.T) {
	s, err := initScript(InitOptions{Command: []string{"/bin/true"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "cgroup2") {
		t.Error("cgroup2 mounted without MountCgroup2")
	}
}

func TestInitScriptErrors(t *testing.T) {
	for name, o := range map[string]InitOptions{
		"no command":      {},
		"empty program":   {Command: []string{""}},
		"relative module": {Command: []string{"/bin/true"}, Modules: []string{"kw.ko"}},
		"newline module":  {Command: []string{"/bin/true"}, Modules: []string{"/a\n.ko"}},
		"bad env":         {Command: []string{"/bin/true"}, Env: []string{"NOEQUALS"}},
		"bad env key":     {Command: []string{"/bin/true"}, Env: []string{"1A=x"}},
		"NUL":             {Command: []string{"/bin/true", "a\x00b"}},
	} {
		if _, err := initScript(o); err == nil {
			t.Errorf("%s: initScript succeeded", name)
		}
	}
}

func TestShQuoteRunsInShell(t *testing.T) {
	bb := requireBusybox(t)
	for _, s := range []string{"", "plain", "it's", `a"b$c\d` + "`x`", "line\nbreak", "'''"} {
		out, err := exec.CommandContext(t.Context(), bb, "sh", "-c", "printf %s "+shQuote(s)).Output()
		if err != nil {
			t.Fatalf("sh: %v", err)
		}
		if string(out) != s {
			t.Errorf("shQuote(%q) round-tripped to %q", s, out)
		}
	}
}
