//go:build mage
// +build mage

package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	// mage:import
	build "github.com/grafana/grafana-plugin-sdk-go/build"
)

// Default configures the default target.
var Default = build.BuildAll

// Package zips dist/ as Grafana installs a plugin: one top folder named
// after the plugin's id, the executables keeping their mode. It writes
// <id>-<version>.zip beside dist/ (run build:linux, build:linuxARM64 and
// npm run build first).
func Package() error {
	b, err := os.ReadFile("dist/plugin.json")
	if err != nil {
		return fmt.Errorf("read dist/plugin.json (build the frontend first): %w", err)
	}
	var meta struct {
		ID   string `json:"id"`
		Info struct {
			Version string `json:"version"`
		} `json:"info"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return fmt.Errorf("dist/plugin.json: %w", err)
	}
	out, err := os.Create(fmt.Sprintf("%s-%s.zip", meta.ID, meta.Info.Version))
	if err != nil {
		return err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	err = filepath.WalkDir("dist", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("dist", path)
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name = meta.ID + "/" + filepath.ToSlash(rel)
		h.Method = zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("zip dist: %w", err)
	}
	return zw.Close()
}
