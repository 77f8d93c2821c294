package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/internal/duration"
)

// Every duration a user types takes days and weeks, in the file, the
// KWARDEN_* variables and the flags, each level overriding the last; and
// the retentions, which only the file could set, have flags and
// variables too.
func TestConfigDurationsWithDays(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	if err := os.WriteFile(file, []byte(`{"interval":"2s","raw_retention":"1.5d","retention":"2w"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := load([]string{"-config", file}, env(nil))
	if err != nil || c.Interval != 2*time.Second || c.RawRetention != 36*time.Hour || c.Retention != 2*duration.Week {
		t.Errorf("file: %+v %v", c, err)
	}
	c, err = load([]string{"-config", file}, env(map[string]string{"KWARDEN_RAW_RETENTION": "2d", "KWARDEN_RETENTION": "3w", "KWARDEN_INTERVAL": "1m"}))
	if err != nil || c.Interval != time.Minute || c.RawRetention != 2*duration.Day || c.Retention != 3*duration.Week {
		t.Errorf("env over file: %+v %v", c, err)
	}
	c, err = load([]string{"-config", file, "-raw-retention", "1w", "-retention", "31d", "-interval", "0.5s"},
		env(map[string]string{"KWARDEN_RETENTION": "3w"}))
	if err != nil || c.Interval != 500*time.Millisecond || c.RawRetention != duration.Week || c.Retention != 31*duration.Day {
		t.Errorf("flags over env: %+v %v", c, err)
	}
}

// Errors name the setting and print durations as they are typed.
func TestConfigDurationErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	if err := os.WriteFile(file, []byte(`{"retention":"7 days"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"interval of a day":     {[]string{"-interval", "1d"}, nil, "interval 1d out of range 100ms..1h"},
		"raw beyond retention":  {[]string{"-raw-retention", "8d"}, nil, "raw_retention 8d is longer than retention 7d"},
		"zero retention":        {[]string{"-retention", "0"}, nil, "retention 0s must be positive"},
		"bad duration in file":  {[]string{"-config", file}, nil, `retention: duration "7 days"`},
		"bad duration in env":   {nil, map[string]string{"KWARDEN_RAW_RETENTION": "1y"}, `KWARDEN_RAW_RETENTION="1y"`},
		"bad duration in flags": {[]string{"-retention", "forever"}, nil, "31d or 1w"},
	} {
		_, err := load(c.args, env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}
