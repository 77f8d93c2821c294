// Package layout checks that README.md's layout table names the tree as
// it is: every top-level entry and every package directory below agent/,
// internal/ and test/ (and agent/cmd/, test/cmd/ as a whole), and nothing
// that is not there.
package layout

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const root = "../.."

// listed are the paths the README's layout table names.
func listed(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	out := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[1], -1) {
			out[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	return out
}

// present are the entries the table must name.
func present(t *testing.T) []string {
	t.Helper()
	var out []string
	top, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		n := e.Name()
		switch {
		case strings.HasPrefix(n, "."), n == "bin", n == "out", n == "agent", n == "internal", n == "test":
			// hidden, build output, or listed by their packages
		default:
			out = append(out, n)
		}
	}
	for _, dir := range []string{"agent", "internal", "test"} {
		es, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.IsDir() {
				out = append(out, dir+"/"+e.Name())
			}
		}
	}
	return out
}

func TestREADMELayoutMatchesTree(t *testing.T) {
	names := listed(t)
	for _, p := range present(t) {
		if p == "test/layout" {
			continue // this test
		}
		if !names[p] {
			t.Errorf("README.md's layout table does not name %s", p)
		}
	}
	for p := range names {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("README.md's layout table names %s, which is not there", p)
		}
	}
	if !slices.Contains(present(t), "kmod") {
		t.Error("the tree walk found no kmod/: wrong root")
	}
}
