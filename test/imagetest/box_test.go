package imagetest

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeBox(t *testing.T, files map[string]string, order []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.box")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, name := range order {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadBox(t *testing.T) {
	good := map[string]string{
		"metadata.json": `{"provider": "libvirt", "format": "qcow2", "virtual_size": 20}`,
		"Vagrantfile":   "Vagrant.configure(\"2\") do |c| end\n",
		"box.img":       "QFI\xfb disk",
	}
	order := []string{"metadata.json", "Vagrantfile", "box.img"}
	dir := t.TempDir()
	box, img, err := ReadBox(writeBox(t, good, order), dir)
	if err != nil {
		t.Fatal(err)
	}
	if box.Metadata != (BoxMetadata{Provider: "libvirt", Format: "qcow2", VirtualSize: 20}) {
		t.Errorf("metadata %+v", box.Metadata)
	}
	if b, err := os.ReadFile(img); err != nil || string(b) != good["box.img"] {
		t.Errorf("box.img extracted as %q, %v", b, err)
	}

	for name, tc := range map[string]struct {
		files map[string]string
		order []string
		want  string
	}{
		"missing Vagrantfile": {good, []string{"metadata.json", "box.img"}, "want exactly"},
		"extra file":          {merge(good, "notes.txt", "x"), append(order, "notes.txt"), "want exactly"},
		"virtualbox":          {merge(good, "metadata.json", `{"provider": "virtualbox", "format": "qcow2", "virtual_size": 20}`), order, "provider libvirt"},
		"no size":             {merge(good, "metadata.json", `{"provider": "libvirt", "format": "qcow2"}`), order, "virtual_size"},
		"unknown key":         {merge(good, "metadata.json", `{"provider": "libvirt", "format": "qcow2", "virtual_size": 20, "disks": []}`), order, "unknown field"},
		"not json":            {merge(good, "metadata.json", `provider=libvirt`), order, "metadata.json"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ReadBox(writeBox(t, tc.files, tc.order), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadBox: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func merge(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}
