package vm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTree makes boot, cache and modules directories holding the given
// files (relative to the tree root; names ending in "/" are directories).
func fakeTree(t *testing.T, paths ...string) KernelOptions {
	t.Helper()
	root := t.TempDir()
	for _, p := range append([]string{"boot/", "cache/", "modules/"}, paths...) {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("kernel"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return KernelOptions{
		BootDir:    filepath.Join(root, "boot"),
		CacheDir:   filepath.Join(root, "cache"),
		ModulesDir: filepath.Join(root, "modules"),
		Offline:    true,
	}
}

func releases(ks []Kernel) string {
	var s []string
	for _, k := range ks {
		s = append(s, k.Series+"="+k.Release)
	}
	return strings.Join(s, " ")
}

func TestKernelsPrefersInstalled(t *testing.T) {
	t.Setenv(EnvKernels, "")
	o := fakeTree(t,
		"boot/vmlinuz-6.1.0-50-amd64", "boot/vmlinuz-6.1.0-57-amd64", "boot/vmlinuz-6.1.0-60-rt-amd64",
		"boot/vmlinuz-6.12.117+deb12-amd64", "cache/vmlinuz-6.12.200+deb12-amd64",
		"modules/6.1.0-57-amd64/build/", "modules/6.12.117+deb12-amd64/")
	ks, err := Kernels(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := releases(ks), "6.1=6.1.0-57-amd64 6.12=6.12.117+deb12-amd64"; got != want {
		t.Fatalf("Kernels = %s, want %s", got, want)
	}
	if ks[0].Vmlinuz != filepath.Join(o.BootDir, "vmlinuz-6.1.0-57-amd64") || ks[0].BuildDir != filepath.Join(o.ModulesDir, "6.1.0-57-amd64", "build") {
		t.Errorf("6.1 kernel = %+v", ks[0])
	}
	if ks[1].BuildDir != "" {
		t.Errorf("6.12 BuildDir = %q, want empty (no build dir)", ks[1].BuildDir)
	}
}

func TestKernelsFromCacheAndHeaders(t *testing.T) {
	t.Setenv(EnvKernels, "")
	o := fakeTree(t,
		"cache/vmlinuz-6.1.0-56-amd64", "cache/vmlinuz-6.1.0-57-amd64",
		"modules/6.1.0-56-amd64/build/",
		"cache/vmlinuz-6.12.117+deb12-amd64")
	ks, err := Kernels(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	// 6.1.0-56 has headers, so it beats the newer cached 57.
	if got, want := releases(ks), "6.1=6.1.0-56-amd64 6.12=6.12.117+deb12-amd64"; got != want {
		t.Errorf("Kernels = %s, want %s", got, want)
	}
}

func TestKernelsOverride(t *testing.T) {
	o := fakeTree(t, "boot/vmlinuz-6.1.0-57-amd64", "cache/vmlinuz-6.1.0-40-amd64", "boot/vmlinuz-6.12.117+deb12-amd64")
	t.Setenv(EnvKernels, " 6.12.117+deb12-amd64, 6.1.0-40-amd64 ")
	ks, err := Kernels(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := releases(ks), "6.12=6.12.117+deb12-amd64 6.1=6.1.0-40-amd64"; got != want {
		t.Errorf("Kernels with %s = %s, want %s", EnvKernels, got, want)
	}
	o.Releases = []string{"6.1.0-57-amd64"}
	ks, err = Kernels(t.Context(), o)
	if err != nil || releases(ks) != "6.1=6.1.0-57-amd64" {
		t.Errorf("Kernels with Releases = %s, %v", releases(ks), err)
	}
}

func TestKernelsErrors(t *testing.T) {
	t.Setenv(EnvKernels, "")
	o := fakeTree(t, "boot/vmlinuz-6.1.0-57-amd64")
	if _, err := Kernels(t.Context(), o); err == nil || !strings.Contains(err.Error(), "series 6.12") {
		t.Errorf("Kernels without 6.12 = %v, want error naming series 6.12", err)
	}
	o.Releases = []string{"6.1.0-99-amd64"}
	if _, err := Kernels(t.Context(), o); err == nil || !strings.Contains(err.Error(), "6.1.0-99-amd64") {
		t.Errorf("Kernels with missing release = %v", err)
	}
	o.Releases = []string{"../etc/passwd"}
	if _, err := Kernels(t.Context(), o); err == nil || !strings.Contains(err.Error(), "invalid release") {
		t.Errorf("Kernels with bad release = %v", err)
	}
}

func TestKernelOptionsDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	o, err := KernelOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.CacheDir != "/xdg/kwarden/kernels" || o.BootDir != "/boot" || o.ModulesDir != "/lib/modules" || len(o.Series) != 2 {
		t.Errorf("defaults = %+v", o)
	}
}
