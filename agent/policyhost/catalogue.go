package policyhost

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kwarden/kwarden/internal/safefile"
)

// CatalogueFile is the catalogue's name in the policy directory.
const CatalogueFile = "catalogue.json"

// BinaryPrefix starts every policy binary's name.
const BinaryPrefix = "kwarden-policy-"

// Entry is one policy the catalogue allows.
type Entry struct {
	// Name is the policy's name (quota); its binary is
	// kwarden-policy-<name> in the catalogue's directory.
	Name string `json:"name"`
	// SHA256 is the binary's checksum, hex.
	SHA256 string `json:"sha256"`
	// Path is the binary, set by LoadCatalogue.
	Path string `json:"-"`
}

// Catalogue is the policies a directory holds and may run.
type Catalogue struct {
	Dir     string
	Entries map[string]Entry
}

// catalogueJSON is the file's shape.
type catalogueJSON struct {
	Policies []Entry `json:"policies"`
}

// ErrChecksum is wrapped by a refusal of a binary whose SHA-256 is not
// the catalogue's.
var ErrChecksum = errors.New("checksum mismatch")

// LoadCatalogue reads dir's catalogue, after checking that dir and the
// file can only have been written by root or this daemon's user.
func LoadCatalogue(dir string) (*Catalogue, error) {
	dir = filepath.Clean(dir)
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, CatalogueFile)
	b, err := safefile.ReadFile(path, 1<<20, safefile.Options{What: "policy catalogue", UID: -1})
	if err != nil {
		return nil, err
	}
	var cj catalogueJSON
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cj); err != nil {
		return nil, fmt.Errorf("policy catalogue %s: %w", path, err)
	}
	c := &Catalogue{Dir: dir, Entries: map[string]Entry{}}
	for _, e := range cj.Policies {
		if !validName(e.Name) {
			return nil, fmt.Errorf("policy catalogue %s: name %q: want lower-case letters, digits and dashes", path, e.Name)
		}
		if _, dup := c.Entries[e.Name]; dup {
			return nil, fmt.Errorf("policy catalogue %s: %q listed twice", path, e.Name)
		}
		if sum, err := hex.DecodeString(e.SHA256); err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("policy catalogue %s: %q: sha256 %q is not 64 hex digits", path, e.Name, e.SHA256)
		}
		e.SHA256 = strings.ToLower(e.SHA256)
		e.Path = filepath.Join(dir, BinaryPrefix+e.Name)
		c.Entries[e.Name] = e
	}
	return c, nil
}

// Names lists the catalogue's policies, sorted.
func (c *Catalogue) Names() []string {
	out := make([]string, 0, len(c.Entries))
	for n := range c.Entries {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup finds a policy by name.
func (c *Catalogue) Lookup(name string) (Entry, error) {
	e, ok := c.Entries[name]
	if !ok {
		return Entry{}, fmt.Errorf("policy %q is not in the catalogue %s (it has: %s)", name, filepath.Join(c.Dir, CatalogueFile), strings.Join(c.Names(), ", "))
	}
	return e, nil
}

// Verify checks the binary as it is now: a regular file, owned by this
// daemon's user and writable by no one else, in a directory no one else
// can write, with the catalogue's SHA-256.
// It returns the checksum for go-plugin to check again right before it
// runs the file.
func (e Entry) Verify() ([]byte, error) {
	if err := checkDir(filepath.Dir(e.Path)); err != nil {
		return nil, err
	}
	f, _, err := safefile.Open(e.Path, safefile.Options{What: "policy binary", UID: -1})
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", e.Name, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("policy %s: %w", e.Name, err)
	}
	sum := h.Sum(nil)
	if got := hex.EncodeToString(sum); got != e.SHA256 {
		return nil, fmt.Errorf("policy %s: %s has sha256 %s, the catalogue says %s: %w", e.Name, e.Path, got, e.SHA256, ErrChecksum)
	}
	return sum, nil
}

// checkDir refuses a policy directory that anyone but root or the
// daemon's user could change, or any directory above it that others
// could. Unlike safefile.CheckDir it refuses a sticky directory too:
// others could add a binary there under a name not yet taken.
func checkDir(dir string) error {
	if err := safefile.CheckDir(dir, -1); err != nil {
		return fmt.Errorf("policy directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("policy directory: %w", err)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("policy directory %s has mode %04o, writable by other users: %w", dir, fi.Mode().Perm(), safefile.ErrUntrusted)
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
