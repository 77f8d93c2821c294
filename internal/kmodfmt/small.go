package kmodfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kwarden/kwarden/internal/cgpath"
	"github.com/kwarden/kwarden/internal/snapshot"
)

// ErrSchema reports a document of a schema version this reader does not
// know. Callers treat it as "module too new or too old", not as a bug.
var ErrSchema = errors.New("unsupported kwarden schema")

// Version is the contents of /proc/kwarden/version.
type Version struct {
	TimeNs uint64 `json:"time_ns"`
	Module string `json:"module"`
	Kernel string `json:"kernel"`
}

type envelope struct {
	Schema *uint64 `json:"schema"`
	Kind   string  `json:"kind"`
}

// decodeSmall parses a small document with encoding/json after checking
// its schema and kind, and rejects trailing data.
func decodeSmall(data []byte, kind string, v any) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("kwarden format: parse %s: %w", kind, err)
	}
	h := header{kind: env.Kind}
	if env.Schema != nil {
		h.schema, h.hasSchema = *env.Schema, true
	}
	if err := h.check(kind); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("kwarden format: parse %s: %w", kind, err)
	}
	return nil
}

// ParseVersion parses /proc/kwarden/version.
func ParseVersion(data []byte) (*Version, error) {
	var v Version
	if err := decodeSmall(data, "version", &v); err != nil {
		return nil, err
	}
	if v.Module == "" {
		return nil, errors.New("kwarden format: version without module")
	}
	return &v, nil
}

// ParseSystem parses /proc/kwarden/system.
func ParseSystem(data []byte) (*snapshot.System, error) {
	var s snapshot.System
	if err := decodeSmall(data, "system", &s); err != nil {
		return nil, err
	}
	if s.Memory.TotalBytes == 0 || s.PageSize == 0 || s.CPUs <= 0 {
		return nil, errors.New("kwarden format: system without memory total, page size or CPU count")
	}
	return &s, nil
}

// ParseContainers parses /proc/kwarden/containers.
func ParseContainers(data []byte) (*snapshot.Containers, error) {
	var c snapshot.Containers
	if err := decodeSmall(data, "containers", &c); err != nil {
		return nil, err
	}
	for i := range c.Containers {
		ct := &c.Containers[i]
		if !cgpath.IsID(ct.ID) {
			return nil, fmt.Errorf("kwarden format: container %d: id %q is not 64 lower-case hex digits", i, ct.ID)
		}
		if int(ct.Processes) != len(ct.PIDs) {
			return nil, fmt.Errorf("kwarden format: container %.12s: %d processes but %d pids", ct.ID, ct.Processes, len(ct.PIDs))
		}
	}
	return &c, nil
}
