// Package policytest builds the real policy plugin binaries for tests
// and lays out policy directories with their catalogues, as an operator
// would: the tests of the policy host, the guard and kwardend run these
// binaries as go-plugin subprocesses.
package policytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/dockertest"
)

// HostileModes are the misbehaviours of test/policies/hostile, each
// built as kwarden-policy-hostile-<mode>.
var HostileModes = []string{"panic", "hang", "garbage", "protected", "unknown", "flood", "exit", "wrong-version"}

// Prefix starts every policy binary's name.
const Prefix = "kwarden-policy-"

var built struct {
	once sync.Once
	dir  string
	err  error
}

// Binaries builds, once per test binary, the example policy, every
// built-in policy under agent/cmd/kwarden-policy-* and the hostile ones
// into a temporary directory, from the repository at root. Call Cleanup
// from TestMain.
func Binaries(root string) (string, error) {
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "kwpolicy-bin-")
		if built.err != nil {
			return
		}
		built.err = buildAll(root, built.dir)
	})
	return built.dir, built.err
}

// Cleanup removes the built binaries.
func Cleanup() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

func buildAll(root, dir string) error {
	build := func(out, pkg, ldflags string) error {
		args := []string{"build", "-o", filepath.Join(dir, out)}
		if ldflags != "" {
			args = append(args, "-ldflags", ldflags)
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		return nil
	}
	if err := build(Prefix+"keep-oldest", "./examples/policy-keep-oldest", ""); err != nil {
		return err
	}
	cmds, _ := filepath.Glob(filepath.Join(root, "agent/cmd", Prefix+"*"))
	for _, c := range cmds {
		if err := build(filepath.Base(c), "./agent/cmd/"+filepath.Base(c), ""); err != nil {
			return err
		}
	}
	for _, m := range HostileModes {
		if err := build(Prefix+"hostile-"+m, "./test/policies/hostile", "-X main.mode="+m); err != nil {
			return err
		}
	}
	return nil
}

// Dir makes a policy directory (mode 0755) in t's temporary directory
// holding the named policies' binaries and a catalogue of their
// checksums, and returns it.
func Dir(t testing.TB, root string, names ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "policies")
	if err := Layout(root, dir, names...); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Layout makes dir (mode 0755) a policy directory holding the named
// policies' binaries, built once (Binaries), and a catalogue of their
// checksums: for the benchmark commands, which have no testing.TB.
func Layout(root, dir string, names ...string) error {
	bin, err := Binaries(root)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	type entry struct {
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
	}
	var cat struct {
		Policies []entry `json:"policies"`
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(bin, Prefix+n))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, Prefix+n), b, 0o755); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		cat.Policies = append(cat.Policies, entry{Name: n, SHA256: hex.EncodeToString(sum[:])})
	}
	b, _ := json.Marshal(cat)
	return os.WriteFile(filepath.Join(dir, "catalogue.json"), b, 0o644)
}

// Fleet starts n kwarden/load:low containers prefix-0 … prefix-<n-1> on
// eng, oldest first and at least a second apart (the policies rank by
// creation time, which Docker's list reports in seconds); the first is
// labelled kwarden.protect=true. They are removed when t ends.
func Fleet(t testing.TB, eng *dockertest.Daemon, prefix string, n int) []string {
	t.Helper()
	var names []string
	t.Cleanup(func() {
		for _, name := range names {
			eng.Docker(context.Background(), "rm", "-f", name)
		}
	})
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		args := []string{"run", "-d", "--network", "none", "--name", name, "--label", "kwarden.kind=low"}
		if i == 0 {
			args = append(args, "--label", "kwarden.protect=true")
		}
		if _, err := eng.Docker(context.Background(), append(args, "kwarden/load:low")...); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		if i < n-1 {
			time.Sleep(1100 * time.Millisecond)
		}
	}
	return names
}
