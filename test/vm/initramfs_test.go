package vm

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildInitramfs(t *testing.T) {
	bb := requireBusybox(t)
	src := filepath.Join(t.TempDir(), "mod.ko")
	if err := os.WriteFile(src, []byte("fake module"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := BuildInitramfs(&buf, []File{
		{Path: "/lib/modules/extra/kw/mod.ko", Src: src},
		{Path: "/etc/conf.json", Data: []byte(`{"a":1}`)},
		{Path: "/usr/local/bin/tool", Data: []byte("#!/bin/sh\n"), Mode: 0o755},
		{Path: "/bin/ls", Data: []byte("replaced"), Mode: 0o755},
	}, InitOptions{Command: []string{"/usr/local/bin/tool"}})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	entries := readCPIO(t, raw)
	byName := map[string]cpioEntry{}
	for _, e := range entries {
		if _, dup := byName[e.name]; dup {
			t.Errorf("duplicate entry %s", e.name)
		}
		byName[e.name] = e
		// Parents come before children.
		if dir := filepath.Dir(e.name); dir != "." {
			if d, ok := byName[dir]; !ok || d.mode&0o170000 != cpioTypeDir {
				t.Errorf("%s precedes its directory %s", e.name, dir)
			}
		}
	}
	hostBB, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, mode uint32, data string) {
		t.Helper()
		e, ok := byName[name]
		if !ok {
			t.Errorf("no entry %s", name)
			return
		}
		if e.mode != mode || (data != "" && string(e.data) != data) {
			t.Errorf("%s: mode %o data %.40q; want %o %.40q", name, e.mode, e.data, mode, data)
		}
	}
	check("bin/busybox", 0o100755, string(hostBB))
	check("bin/sh", 0o120777, "/bin/busybox")
	check("sbin/insmod", 0o120777, "/bin/busybox")
	check("sbin/poweroff", 0o120777, "/bin/busybox")
	check("bin/ls", 0o100755, "replaced")
	check("dev/console", 0o20600, "")
	check("tmp", 0o41777, "")
	check("lib/modules/extra/kw", 0o40755, "")
	check("lib/modules/extra/kw/mod.ko", 0o100600, "fake module")
	check("etc/conf.json", 0o100644, `{"a":1}`)
	check("usr/local/bin/tool", 0o100755, "#!/bin/sh\n")
	if e := byName["init"]; !strings.Contains(string(e.data), "'/usr/local/bin/tool' </dev/null") || e.mode != 0o100755 {
		t.Errorf("init = %o %q", e.mode, e.data)
	}
	if c := byName["dev/console"]; c.rdevMajor != 5 || c.rdevMinor != 1 {
		t.Errorf("dev/console is %d:%d, want 5:1", c.rdevMajor, c.rdevMinor)
	}
}

func TestBuildInitramfsErrors(t *testing.T) {
	requireBusybox(t)
	cmd := InitOptions{Command: []string{"/bin/true"}}
	for name, tc := range map[string]struct {
		files []File
		init  InitOptions
	}{
		"relative path": {[]File{{Path: "rel"}}, cmd},
		"duplicate":     {[]File{{Path: "/a"}, {Path: "/a/"}}, cmd},
		"reserved init": {[]File{{Path: "/init"}}, cmd},
		"reserved bb":   {[]File{{Path: "/bin/busybox"}}, cmd},
		"symlink mode":  {[]File{{Path: "/l", Mode: fs.ModeSymlink}}, cmd},
		"missing src":   {[]File{{Path: "/x", Src: "/nonexistent/x"}}, cmd},
		"dir src":       {[]File{{Path: "/x", Src: t.TempDir()}}, cmd},
		"no command":    {nil, InitOptions{}},
	} {
		if err := BuildInitramfs(io.Discard, tc.files, tc.init); err == nil {
			t.Errorf("%s: BuildInitramfs succeeded", name)
		}
	}
}

func TestBuildInitramfsDynamicBusybox(t *testing.T) {
	err := BuildInitramfs(io.Discard, nil, InitOptions{Command: []string{"/bin/true"}, Busybox: "/bin/ls"})
	if !errors.Is(err, ErrBusyboxNotStatic) {
		t.Errorf("BuildInitramfs with dynamic busybox = %v, want ErrBusyboxNotStatic", err)
	}
	err = BuildInitramfs(io.Discard, nil, InitOptions{Command: []string{"/bin/true"}, Busybox: "/nonexistent/busybox"})
	if err == nil || !strings.Contains(err.Error(), "busybox-static") {
		t.Errorf("BuildInitramfs with missing busybox = %v, want hint at busybox-static", err)
	}
}

func TestBuildInitramfsDeterministic(t *testing.T) {
	requireBusybox(t)
	var a, b bytes.Buffer
	init := InitOptions{Command: []string{"/bin/true"}}
	files := []File{{Path: "/x", Data: []byte("x")}}
	if err := BuildInitramfs(&a, files, init); err != nil {
		t.Fatal(err)
	}
	if err := BuildInitramfs(&b, files, init); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds differ")
	}
}
