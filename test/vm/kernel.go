package vm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Kernel is a bootable kernel plus where its build headers live.
type Kernel struct {
	// Series is "major.minor", e.g. "6.1" or "6.12".
	Series string
	// Release is the kernel release, e.g. "6.1.0-57-amd64".
	Release string
	// Vmlinuz is the path of the kernel image.
	Vmlinuz string
	// BuildDir is /lib/modules/<Release>/build if present, else "".
	BuildDir string
}

// String returns the release.
func (k Kernel) String() string { return k.Release }

// EnvKernels names the environment variable that overrides kernel
// selection with a comma-separated list of releases.
const EnvKernels = "KWARDEN_KERNELS"

// DefaultSeries returns the kernel series tested by default: Debian 12's
// 6.1 and Debian 13's 6.12.
func DefaultSeries() []string { return []string{"6.1", "6.12"} }

// KernelOptions configures Kernels. The zero value selects the newest
// kernel of each DefaultSeries() on this machine.
type KernelOptions struct {
	// Series to resolve, default DefaultSeries().
	Series []string
	// Releases, if set, selects exactly these releases instead of Series.
	// If empty, the comma-separated $KWARDEN_KERNELS is used when set.
	Releases []string
	// CacheDir holds fetched kernels; default $XDG_CACHE_HOME/kwarden/kernels
	// or ~/.cache/kwarden/kernels.
	CacheDir string
	// BootDir is where installed kernel images live; default "/boot".
	BootDir string
	// ModulesDir is where BuildDir is looked up; default "/lib/modules".
	ModulesDir string
	// Offline forbids apt queries and downloads: only installed and cached
	// kernels are used.
	Offline bool
	// Logger receives progress messages (downloads); default discards.
	Logger *slog.Logger
}

func (o KernelOptions) withDefaults() (KernelOptions, error) {
	if len(o.Series) == 0 {
		o.Series = DefaultSeries()
	}
	if len(o.Releases) == 0 {
		if env := os.Getenv(EnvKernels); strings.TrimSpace(env) != "" {
			for _, r := range strings.Split(env, ",") {
				if r = strings.TrimSpace(r); r != "" {
					o.Releases = append(o.Releases, r)
				}
			}
		}
	}
	if o.CacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return o, fmt.Errorf("find cache dir: %w", err)
		}
		o.CacheDir = filepath.Join(dir, "kwarden", "kernels")
	}
	if o.BootDir == "" {
		o.BootDir = "/boot"
	}
	if o.ModulesDir == "" {
		o.ModulesDir = "/lib/modules"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Kernels resolves one test kernel per series, or the explicitly selected
// releases (KernelOptions.Releases, else $KWARDEN_KERNELS), in order.
//
// For a series it takes, in order of preference: the newest installed
// generic amd64 kernel (/boot/vmlinuz-<release> from Debian's linux-image
// packages); the newest release whose headers are installed
// (/lib/modules/<release>/build), so that modules built for it load; the
// newest installable linux-image package apt knows (apt-cache search and
// policy); the newest cached release. A release not in /boot is taken from
// the cache, or fetched into it (apt-get download, dpkg-deb -x). An
// explicit release is taken from /boot, the cache, or fetched.
//
// Kernels returns an error naming the first kernel it cannot resolve. It is
// safe for concurrent use, also across processes sharing a cache.
func Kernels(ctx context.Context, opts KernelOptions) ([]Kernel, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("resolve kernels: %w", err)
	}
	var ks []Kernel
	if len(o.Releases) > 0 {
		for _, rel := range o.Releases {
			k, err := o.release(ctx, rel)
			if err != nil {
				return nil, fmt.Errorf("resolve kernel %s: %w", rel, err)
			}
			ks = append(ks, k)
		}
		return ks, nil
	}
	for _, s := range o.Series {
		k, err := o.series(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("resolve kernel series %s: %w", s, err)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// series resolves the kernel for one series.
func (o KernelOptions) series(ctx context.Context, series string) (Kernel, error) {
	if r, ok := newestRelease(series, imageReleases(o.BootDir)); ok {
		return o.kernel(r.name, filepath.Join(o.BootDir, "vmlinuz-"+r.name)), nil
	}
	// A module must be built against the booted kernel's headers, so a
	// release whose headers are installed beats a newer one from apt.
	if r, ok := newestRelease(series, headerReleases(o.ModulesDir)); ok {
		if k, err := o.release(ctx, r.name); err == nil {
			return k, nil
		}
	}
	var aptErr error
	if !o.Offline {
		r, err := aptNewest(ctx, series)
		if err == nil {
			return o.release(ctx, r.name)
		}
		aptErr = err
	}
	if r, ok := newestRelease(series, imageReleases(o.CacheDir)); ok {
		return o.kernel(r.name, filepath.Join(o.CacheDir, "vmlinuz-"+r.name)), nil
	}
	if aptErr != nil {
		return Kernel{}, aptErr
	}
	return Kernel{}, errors.New("none installed or cached, and fetching is off")
}

// release resolves one explicit release.
func (o KernelOptions) release(ctx context.Context, rel string) (Kernel, error) {
	if strings.ContainsAny(rel, "/ \t\n") || rel == "" || seriesOf(rel) == "" {
		return Kernel{}, fmt.Errorf("invalid release name %q", rel)
	}
	for _, dir := range []string{o.BootDir, o.CacheDir} {
		p := filepath.Join(dir, "vmlinuz-"+rel)
		if readable(p) {
			return o.kernel(rel, p), nil
		}
	}
	if o.Offline {
		return Kernel{}, errors.New("not installed or cached, and fetching is off")
	}
	o.Logger.InfoContext(ctx, "fetching kernel", "release", rel, "cache", o.CacheDir)
	p, err := fetchKernel(ctx, o.CacheDir, rel)
	if err != nil {
		return Kernel{}, err
	}
	return o.kernel(rel, p), nil
}

func (o KernelOptions) kernel(rel, vmlinuz string) Kernel {
	k := Kernel{Series: seriesOf(rel), Release: rel, Vmlinuz: vmlinuz}
	if build := filepath.Join(o.ModulesDir, rel, "build"); isDir(build) {
		k.BuildDir = build
	}
	return k
}

// imageReleases returns the releases of the readable vmlinuz-<release>
// files in dir.
func imageReleases(dir string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "vmlinuz-*"))
	var rels []string
	for _, m := range matches {
		if readable(m) {
			rels = append(rels, strings.TrimPrefix(filepath.Base(m), "vmlinuz-"))
		}
	}
	return rels
}

// headerReleases returns the releases with a build directory under
// modulesDir (installed linux-headers packages).
func headerReleases(modulesDir string) []string {
	matches, _ := filepath.Glob(filepath.Join(modulesDir, "*", "build"))
	var rels []string
	for _, m := range matches {
		if isDir(m) {
			rels = append(rels, filepath.Base(filepath.Dir(m)))
		}
	}
	return rels
}

func readable(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
