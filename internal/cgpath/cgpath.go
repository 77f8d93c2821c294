// Package cgpath derives a container id from a cgroup v2 path, with the
// same rules as the kwarden module (docs/proc-format.md, "Container ids"),
// so that every view names containers the same way.
package cgpath

import "strings"

// Container returns the id and runtime of the innermost path component
// that names a container, or two empty strings.
func Container(path string) (id, runtime string) {
	for path != "" && path != "/" {
		i := strings.LastIndexByte(path, '/')
		comp, parent := path[i+1:], path[:max(i, 0)]
		if id, runtime = component(comp, parent); id != "" {
			return id, runtime
		}
		if i < 0 {
			break
		}
		path = parent
	}
	return "", ""
}

var scopePrefixes = []struct{ prefix, runtime string }{
	{"docker-", "docker"},
	{"cri-containerd-", "containerd"},
	{"crio-", "crio"},
	{"libpod-", "podman"},
}

func component(comp, parent string) (string, string) {
	if IsID(comp) {
		if parent == "docker" || strings.HasSuffix(parent, "/docker") {
			return comp, "docker"
		}
		return "", ""
	}
	for _, sp := range scopePrefixes {
		rest, ok := strings.CutPrefix(comp, sp.prefix)
		if !ok {
			continue
		}
		if id, ok := strings.CutSuffix(rest, ".scope"); ok && IsID(id) {
			return id, sp.runtime
		}
	}
	return "", ""
}

// IsID reports whether s is a container id: 64 lower-case hex digits.
func IsID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
