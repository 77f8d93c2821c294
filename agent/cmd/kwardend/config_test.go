package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/internal/duration"
	"github.com/kwarden/kwarden/test/testenv"
)

// Every duration a user types takes days and weeks, in the file, the
// KWARDEN_* variables and the flags, each level overriding the last; and
// the retentions, which only the file could set, have flags and
// variables too.
func TestConfigDurationsWithDays(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"interval":"2s","raw_retention":"1.5d","retention":"2w"}`, 0o644)
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
	writeFile(t, file, `{"retention":"7 days"}`, 0o644)
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

// writeFile writes a test file with exactly mode perm (no umask).
func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// The configuration is read under safefile's rules: a planted link, a
// file of another user or one others can write is refused, and a file
// holding the token is refused when others can read it.
func TestConfigFileTrusted(t *testing.T) {
	dir := t.TempDir()
	plain := `{"sources":"ebpf"}`
	withToken := `{"token":"0123456789abcdef0123"}`
	writeFile(t, filepath.Join(dir, "target.json"), plain, 0o600)
	if err := os.Symlink(filepath.Join(dir, "target.json"), filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "world-writable.json"), plain, 0o666)
	writeFile(t, filepath.Join(dir, "group-writable.json"), plain, 0o664)
	writeFile(t, filepath.Join(dir, "token-readable.json"), withToken, 0o644)
	writeFile(t, filepath.Join(dir, "token-group.json"), withToken, 0o640)
	writeFile(t, filepath.Join(dir, "webhook-token.json"), `{"webhook": {"url": "http://127.0.0.1:9/", "token": "s3cret"}}`, 0o644)
	for file, want := range map[string]string{
		"webhook-token.json":  "readable by other users, and holds a token",
		"link.json":           "is a symbolic link",
		"world-writable.json": "writable by other users",
		"group-writable.json": "writable by other users",
		"token-readable.json": "readable by other users, and holds a token",
		"token-group.json":    "readable by other users, and holds a token",
	} {
		_, err := load([]string{"-config", filepath.Join(dir, file)}, env(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", file, err, want)
		}
	}
	writeFile(t, filepath.Join(dir, "ok.json"), plain, 0o644)
	writeFile(t, filepath.Join(dir, "token-ok.json"), withToken, 0o600)
	for _, file := range []string{"ok.json", "token-ok.json"} {
		if _, err := load([]string{"-config", filepath.Join(dir, file)}, env(nil)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// A configuration owned by another user is refused (giving a file away
// needs root).
func TestConfigFileOfAnotherUser(t *testing.T) {
	testenv.Require(t, os.Geteuid() == 0, "root, to give a file to another user")
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"sources":"ebpf"}`, 0o644)
	if err := os.Chown(file, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := load([]string{"-config", file}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("%v, want an error about the owner", err)
	}
}

// The connection settings come from the file, the environment and the
// flags like the others, and out-of-range values are refused by name.
func TestConfigConnectionSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "k.json")
	writeFile(t, file, `{"read_timeout":"5s","write_timeout":"1m","idle_timeout":"15s","shutdown_timeout":"20s","max_connections":64}`, 0o644)
	c, err := load([]string{"-config", file}, env(nil))
	if err != nil || c.ReadTimeout != 5*time.Second || c.WriteTimeout != time.Minute || c.IdleTimeout != 15*time.Second ||
		c.ShutdownTimeout != 20*time.Second || c.MaxConns != 64 {
		t.Errorf("file: %+v %v", c, err)
	}
	c, err = load([]string{"-config", file, "-write-timeout", "45s"}, env(map[string]string{"KWARDEN_IDLE_TIMEOUT": "1m",
		"KWARDEN_SHUTDOWN_TIMEOUT": "1m", "KWARDEN_MAX_CONNECTIONS": "10", "KWARDEN_READ_TIMEOUT": "2s"}))
	if err != nil || c.ReadTimeout != 2*time.Second || c.WriteTimeout != 45*time.Second || c.IdleTimeout != time.Minute ||
		c.ShutdownTimeout != time.Minute || c.MaxConns != 10 {
		t.Errorf("env and flags over file: %+v %v", c, err)
	}
	if c, err = load(nil, env(nil)); err != nil || c.ReadTimeout != 10*time.Second || c.WriteTimeout != 30*time.Second ||
		c.IdleTimeout != 30*time.Second || c.ShutdownTimeout != 5*time.Second || c.MaxConns != 0 {
		t.Errorf("defaults: %+v %v", c, err)
	}
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"no idle timeout":        {[]string{"-idle-timeout", "0"}, nil, "idle_timeout 0s out of range 100ms..1h"},
		"write timeout of a day": {[]string{"-write-timeout", "1d"}, nil, "write_timeout 1d out of range"},
		"negative cap":           {nil, map[string]string{"KWARDEN_MAX_CONNECTIONS": "-1"}, "max_connections -1 out of range"},
		"cap not a number":       {nil, map[string]string{"KWARDEN_MAX_CONNECTIONS": "many"}, "KWARDEN_MAX_CONNECTIONS"},
	} {
		_, err := load(c.args, env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}
