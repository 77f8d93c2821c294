package reason

import (
	"strings"
	"testing"

	"github.com/kwarden/kwarden/agent/policy"
)

func TestName(t *testing.T) {
	id := strings.Repeat("0123456789ab", 5)
	for _, tc := range []struct {
		c    policy.Container
		want string
	}{
		{policy.Container{ID: id, Name: "kw-cpu-1"}, "kw-cpu-1"},
		{policy.Container{ID: id}, "0123456789ab"},
		{policy.Container{ID: "short"}, "short"},
	} {
		if got := Name(&tc.c); got != tc.want {
			t.Errorf("Name(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    float64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1536, "1.5 KiB"},
		{128 << 20, "128.0 MiB"},
		{3.25 * (1 << 30), "3.2 GiB"},
		{-(64 << 20), "-64.0 MiB"},
		{1 << 62, "4.0 EiB"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
