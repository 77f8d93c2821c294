package vm

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
)

// releaseRE matches the releases of Debian's generic amd64 kernel flavour:
// "6.1.0-57-amd64" (Debian 12) and "6.12.117+deb12-amd64" (6.12 as Debian
// 13 ships it, and its Debian 12 backport). Other flavours (rt, cloud) and
// -dbg/-unsigned package suffixes do not match.
var releaseRE = regexp.MustCompile(`^(\d+\.\d+)\.(\d+)(?:-(\d+))?(?:\+deb\d+)?-amd64$`)

// release is a parsed kernel release.
type release struct {
	name   string // e.g. "6.1.0-57-amd64"
	series string // e.g. "6.1"
	patch  int    // 0 for 6.1.0-57, 117 for 6.12.117
	abi    int    // 57 for 6.1.0-57, 0 when absent
}

// parseRelease parses a generic amd64 Debian kernel release.
func parseRelease(name string) (release, bool) {
	m := releaseRE.FindStringSubmatch(name)
	if m == nil {
		return release{}, false
	}
	r := release{name: name, series: m[1]}
	r.patch, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		r.abi, _ = strconv.Atoi(m[3])
	}
	return r, true
}

// seriesOf returns the "major.minor" prefix of a release, or "" if it has
// none.
func seriesOf(name string) string {
	m := regexp.MustCompile(`^(\d+\.\d+)[.-]`).FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	return m[1]
}

// newestRelease returns the highest release of series among names, which
// may contain anything; ok is false if none matches.
func newestRelease(series string, names []string) (release, bool) {
	var rs []release
	for _, n := range names {
		if r, ok := parseRelease(n); ok && r.series == series {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return release{}, false
	}
	return slices.MaxFunc(rs, func(a, b release) int {
		return cmp.Or(cmp.Compare(a.patch, b.patch), cmp.Compare(a.abi, b.abi), cmp.Compare(a.name, b.name))
	}), true
}
