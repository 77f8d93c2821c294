package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path through a new file in path's directory,
// renamed over path once it is complete and synced: a reader sees the
// old file or the new one, never half of one, and a crash leaves one of
// the two. What the daemon writes for people to read (the course's
// graphs, at every stop) goes through it, so that:
//
//   - the new file is created with O_CREAT|O_EXCL, which follows no link
//     and adopts no file someone else made;
//   - a symbolic link planted at path is replaced by the rename, not
//     followed, so no other file is written through it;
//   - the file gets perm exactly (no umask), set on the descriptor.
//
// The directory is the caller's to check (CheckDir). On an error the
// temporary file is removed and path is left as it was.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The rename itself is durable once the directory is synced; a
	// failure there loses nothing already written, so it is not one.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
