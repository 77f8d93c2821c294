package cgpath

import (
	"strings"
	"testing"
)

func TestContainer(t *testing.T) {
	id := strings.Repeat("ab12", 16)
	id2 := strings.Repeat("cd34", 16)
	cases := []struct{ path, id, runtime string }{
		{"/system.slice/docker-" + id + ".scope", id, "docker"},
		{"/system.slice/docker-" + id + ".scope/init.scope", id, "docker"},
		{"/docker/" + id, id, "docker"},
		{"/docker/" + id + "/sub", id, "docker"},
		{"/kubepods/pod1/cri-containerd-" + id + ".scope", id, "containerd"},
		{"/machine.slice/libpod-" + id + ".scope", id, "podman"},
		{"/crio-" + id + ".scope", id, "crio"},
		// Innermost wins: a container inside a container.
		{"/docker/" + id + "/docker/" + id2, id2, "docker"},
		{"/", "", ""},
		{"", "", ""},
		{"/system.slice/docker.service", "", ""},
		{"/system.slice/docker-compose.scope", "", ""},
		{"/other/" + id, "", ""},
		{"/docker/" + strings.ToUpper(id), "", ""},
		{"/docker/" + id[:63], "", ""},
		{"/system.slice/docker-" + id + ".scopex", "", ""},
		{"/system.slice/docker-" + id, "", ""},
		{"docker/" + id, id, "docker"},
	}
	for _, c := range cases {
		gotID, gotRT := Container(c.path)
		if gotID != c.id || gotRT != c.runtime {
			t.Errorf("Container(%q) = %q, %q; want %q, %q", c.path, gotID, gotRT, c.id, c.runtime)
		}
	}
}

func FuzzContainer(f *testing.F) {
	f.Add("/system.slice/docker-" + strings.Repeat("a", 64) + ".scope")
	f.Add("/docker/" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, path string) {
		id, rt := Container(path)
		if (id == "") != (rt == "") || (id != "" && (!IsID(id) || !strings.Contains(path, id))) {
			t.Fatalf("Container(%q) = %q, %q", path, id, rt)
		}
	})
}
