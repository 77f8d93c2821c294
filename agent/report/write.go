package report

import (
	"path/filepath"

	"github.com/kwarden/kwarden/internal/safefile"
)

// Write puts each file into dir, whole: a reader of a graph sees the
// last one or the new one, never half of one, and a link planted at a
// graph's name is replaced, not written through (safefile.WriteFile).
// The files are 0644: graphs are for everyone who can reach dir. It
// returns the paths written, in order, up to the first failure.
func Write(dir string, files []File) ([]string, error) {
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := safefile.WriteFile(p, f.Data, 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
