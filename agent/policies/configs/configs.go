package configs

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kwarden/kwarden/internal/duration"
)

//go:embed *.json
var files embed.FS

// Profile is one shipped configuration: which policy, at which loop
// interval, configured how.
type Profile struct {
	// Policy is the built-in policy's name.
	Policy string
	// Interval is the agent's loop interval the cohort used.
	Interval time.Duration
	// Config is the policy's configuration, a JSON object, as the
	// plugin's Configure takes it.
	Config json.RawMessage
}

// profileFile is a profile as its file spells it.
type profileFile struct {
	Policy   string          `json:"policy"`
	Interval *duration.Value `json:"interval"`
	Config   json.RawMessage `json:"config"`
}

// List names the shipped profiles, sorted: what Load takes.
func List() []string {
	matches, _ := fs.Glob(files, "*.json") // the pattern is valid
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = strings.TrimSuffix(m, ".json")
	}
	slices.Sort(names)
	return names
}

// ErrUnknown is wrapped by Load's error for a name no profile has.
var ErrUnknown = errors.New("no such profile")

// Load reads the named profile. It fails, naming the profile, when
// there is none by that name (wrapping ErrUnknown and listing the names)
// or when the file is not a profile: unknown fields, no policy, an
// interval that is not a positive duration, a config that is not a JSON
// object. It is safe for concurrent use.
func Load(name string) (Profile, error) {
	if !fs.ValidPath(name) || path.Base(name) != name || name == "." {
		return Profile{}, fmt.Errorf("profile %q: %w (have %s)", name, ErrUnknown, strings.Join(List(), ", "))
	}
	b, err := files.ReadFile(name + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return Profile{}, fmt.Errorf("profile %q: %w (have %s)", name, ErrUnknown, strings.Join(List(), ", "))
	}
	if err != nil {
		return Profile{}, fmt.Errorf("profile %q: %w", name, err)
	}
	p, err := Parse(b)
	if err != nil {
		return Profile{}, fmt.Errorf("profile %q: %w", name, err)
	}
	return p, nil
}

// Parse reads a profile file strictly, a shipped one or a teacher's
// own: a typo must fail, not be ignored.
func Parse(b []byte) (Profile, error) {
	var f profileFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Profile{}, fmt.Errorf("decode: %w", err)
	}
	if dec.More() {
		return Profile{}, errors.New("decode: more than one JSON value")
	}
	switch {
	case f.Policy == "":
		return Profile{}, errors.New("no policy")
	case f.Interval == nil || *f.Interval <= 0:
		return Profile{}, errors.New("interval: want a positive duration such as 10s")
	case len(f.Config) == 0 || f.Config[0] != '{':
		return Profile{}, errors.New("config: want a JSON object")
	}
	return Profile{Policy: f.Policy, Interval: time.Duration(*f.Interval), Config: f.Config}, nil
}
