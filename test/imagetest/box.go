package imagetest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// BoxMetadata is a vagrant-libvirt box's metadata.json.
type BoxMetadata struct {
	Provider    string `json:"provider"`
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual_size"` // GiB
}

// Box is what ReadBox found in a .box.
type Box struct {
	Files    []string // entry names, in order
	Metadata BoxMetadata
}

// ReadBox reads a .box (a tar), checks its layout (metadata.json,
// Vagrantfile and box.img at its top, nothing else), decodes its
// metadata, and extracts box.img to dir. It returns the box and the
// path of the extracted disk.
func ReadBox(path, dir string) (Box, string, error) {
	var box Box
	f, err := os.Open(path)
	if err != nil {
		return box, "", fmt.Errorf("read box: %w", err)
	}
	defer f.Close()
	img := filepath.Join(dir, "box.img")
	tr := tar.NewReader(f)
	var meta []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return box, "", fmt.Errorf("read box %s: %w", path, err)
		}
		name := filepath.Clean(h.Name)
		box.Files = append(box.Files, name)
		switch name {
		case "metadata.json":
			if meta, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
				return box, "", fmt.Errorf("read box metadata: %w", err)
			}
		case "box.img":
			out, err := os.Create(img)
			if err != nil {
				return box, "", fmt.Errorf("extract box.img: %w", err)
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return box, "", fmt.Errorf("extract box.img: %w", err)
			}
		}
	}
	want := []string{"Vagrantfile", "box.img", "metadata.json"}
	got := slices.Sorted(slices.Values(box.Files))
	if !slices.Equal(got, want) {
		return box, "", fmt.Errorf("box %s holds %v, want exactly %v", path, box.Files, want)
	}
	dec := json.NewDecoder(bytes.NewReader(meta))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&box.Metadata); err != nil {
		return box, "", fmt.Errorf("box metadata.json: %w", err)
	}
	m := box.Metadata
	if m.Provider != "libvirt" || m.Format != "qcow2" || m.VirtualSize <= 0 {
		return box, "", fmt.Errorf("box metadata.json is %+v, want provider libvirt, format qcow2, a virtual_size in GiB", m)
	}
	return box, img, nil
}
