package report

import (
	"os"
	"path/filepath"
	"testing"
)

// Write puts every file in the directory, readable by all, and says
// where; a second report replaces the first.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	for _, body := range []string{"one", "two"} {
		paths, err := Write(dir, []File{{Name: "ram.svg", Data: []byte(body)}, {Name: "cpu.svg", Data: []byte(body)}})
		if err != nil || len(paths) != 2 || paths[0] != filepath.Join(dir, "ram.svg") {
			t.Fatalf("write: %v %v", paths, err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			fi, _ := os.Stat(p)
			if err != nil || string(b) != body || fi.Mode().Perm() != 0o644 {
				t.Errorf("%s: %q, mode %v, %v", p, b, fi.Mode(), err)
			}
		}
	}
	if _, err := Write(filepath.Join(dir, "none"), []File{{Name: "ram.svg"}}); err == nil {
		t.Error("written into a directory that does not exist")
	}
}
