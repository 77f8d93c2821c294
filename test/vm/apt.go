package vm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Timeouts for the Debian tools Kernels runs.
const (
	aptQueryTimeout    = 1 * time.Minute
	aptDownloadTimeout = 10 * time.Minute
	dpkgExtractTimeout = 5 * time.Minute
)

const imagePrefix = "linux-image-"

// runTool runs name with args in dir and returns its stdout; the error
// includes stderr.
func runTool(ctx context.Context, timeout time.Duration, dir, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("run %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// aptNewest returns the newest generic amd64 kernel release of series that
// apt can install, resolved with apt-cache search and policy.
func aptNewest(ctx context.Context, series string) (release, error) {
	pattern := "^" + imagePrefix + regexp.QuoteMeta(series) + `\.[0-9]+`
	out, err := runTool(ctx, aptQueryTimeout, "", "apt-cache", "search", "--names-only", pattern)
	if err != nil {
		return release{}, fmt.Errorf("search kernel packages: %w", err)
	}
	names := parseAptSearch(out)
	for len(names) > 0 {
		r, ok := newestRelease(series, names)
		if !ok {
			break
		}
		pol, err := runTool(ctx, aptQueryTimeout, "", "apt-cache", "policy", imagePrefix+r.name)
		if err != nil {
			return release{}, fmt.Errorf("query kernel package: %w", err)
		}
		if aptCandidate(pol) != "" {
			return r, nil
		}
		names = slices.DeleteFunc(names, func(n string) bool { return n == r.name })
	}
	return release{}, fmt.Errorf("find kernel package for series %s: no installable %s%s.* package (run apt-get update?)", series, imagePrefix, series)
}

// parseAptSearch returns the kernel releases named by "apt-cache search"
// output lines ("linux-image-<release> - description").
func parseAptSearch(out []byte) []string {
	var rels []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		pkg, _, _ := strings.Cut(sc.Text(), " ")
		if rel, ok := strings.CutPrefix(pkg, imagePrefix); ok {
			rels = append(rels, rel)
		}
	}
	return rels
}

// aptCandidate returns the candidate version from "apt-cache policy"
// output, or "" if there is none.
func aptCandidate(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Candidate:"); ok {
			v = strings.TrimSpace(v)
			if v == "(none)" {
				return ""
			}
			return v
		}
	}
	return ""
}

// fetchKernel downloads linux-image-<rel> into cacheDir and extracts its
// vmlinuz to cacheDir/vmlinuz-<rel>, returning that path. Work happens in a
// private temporary directory and the result is renamed into place, so
// concurrent fetches (also from other processes) are safe.
func fetchKernel(ctx context.Context, cacheDir, rel string) (string, error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("fetch kernel %s: %w", rel, err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".fetch-")
	if err != nil {
		return "", fmt.Errorf("fetch kernel %s: %w", rel, err)
	}
	defer os.RemoveAll(tmp)
	// apt drops privileges to _apt for downloads if it can write here.
	_ = os.Chmod(tmp, 0o777)

	if _, err := runTool(ctx, aptDownloadTimeout, tmp, "apt-get", "download", "-q", imagePrefix+rel); err != nil {
		return "", fmt.Errorf("fetch kernel %s: %w", rel, err)
	}
	debs, err := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if err != nil || len(debs) != 1 {
		return "", fmt.Errorf("fetch kernel %s: want one downloaded .deb, found %v", rel, debs)
	}
	root := filepath.Join(tmp, "root")
	if _, err := runTool(ctx, dpkgExtractTimeout, tmp, "dpkg-deb", "-x", debs[0], root); err != nil {
		return "", fmt.Errorf("fetch kernel %s: %w", rel, err)
	}
	src := filepath.Join(root, "boot", "vmlinuz-"+rel)
	if err := os.Chmod(src, 0o644); err != nil {
		return "", fmt.Errorf("fetch kernel %s: package has no /boot/vmlinuz-%s: %w", rel, rel, err)
	}
	dst := filepath.Join(cacheDir, "vmlinuz-"+rel)
	if err := os.Rename(src, dst); err != nil {
		return "", fmt.Errorf("fetch kernel %s: %w", rel, err)
	}
	return dst, nil
}
