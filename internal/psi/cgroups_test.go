package psi

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// cgroupMounts finds the v1 memory controller's and the v2 hierarchy's
// mount points in /proc/self/mounts ("" where there is none).
func cgroupMounts(t *testing.T) (v1Memory, v2 string) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		switch {
		case f[2] == "cgroup2" && v2 == "":
			v2 = f[1]
		case f[2] == "cgroup" && slices.Contains(strings.Split(f[3], ","), "memory"):
			v1Memory = f[1]
		}
	}
	return v1Memory, v2
}

// ownCgroup is this process's cgroup path in the v1 hierarchy holding
// controller, or in v2 when controller is "".
func ownCgroup(t *testing.T, controller string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if (controller == "" && f[0] == "0" && f[1] == "") || (controller != "" && slices.Contains(strings.Split(f[1], ","), controller)) {
			return f[2]
		}
	}
	t.Fatalf("no %q line in /proc/self/cgroup:\n%s", controller, b)
	return ""
}
