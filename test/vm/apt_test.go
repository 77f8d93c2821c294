package vm

import (
	"os/exec"
	"slices"
	"testing"
)

func TestParseAptSearch(t *testing.T) {
	out := []byte(`linux-image-6.1.0-56-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-57-amd64 - Linux 6.1 for 64-bit PCs (signed)
linux-image-6.1.0-57-amd64-dbg - Debug symbols for linux-image-6.1.0-57-amd64
linux-headers-6.1.0-57-amd64 - Header files
`)
	got := parseAptSearch(out)
	want := []string{"6.1.0-56-amd64", "6.1.0-57-amd64", "6.1.0-57-amd64-dbg"}
	if !slices.Equal(got, want) {
		t.Errorf("parseAptSearch = %q, want %q", got, want)
	}
	if r, ok := newestRelease("6.1", got); !ok || r.name != "6.1.0-57-amd64" {
		t.Errorf("newest = %q", r.name)
	}
}

func TestAptCandidate(t *testing.T) {
	for out, want := range map[string]string{
		"linux-image-6.1.0-57-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-3\n  Version table:\n": "6.1.192-3",
		"x:\n  Installed: (none)\n  Candidate: (none)\n":                                               "",
		"": "",
	} {
		if got := aptCandidate([]byte(out)); got != want {
			t.Errorf("aptCandidate(%q) = %q, want %q", out, got, want)
		}
	}
}

// TestAptNewest asks the real apt cache; it needs "apt-get update" to have
// run (make deps does), so it skips when apt knows no 6.1 kernel, and
// fails instead in CI.
func TestAptNewest(t *testing.T) {
	if _, err := exec.LookPath("apt-cache"); err != nil {
		skipOrFail(t, "no apt-cache")
	}
	r, err := aptNewest(t.Context(), "6.1")
	if err != nil {
		skipOrFail(t, "apt knows no 6.1 kernel: %v", err)
	}
	if r.series != "6.1" || r.abi == 0 {
		t.Errorf("aptNewest(6.1) = %+v", r)
	}
	t.Logf("newest 6.1 kernel package: linux-image-%s", r.name)
}
