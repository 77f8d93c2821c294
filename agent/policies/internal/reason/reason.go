package reason

import (
	"fmt"

	"github.com/kwarden/kwarden/agent/policy"
)

// Name is c's name, or the first 12 characters of its id (as docker ps
// shows them) when it has none.
func Name(c *policy.Container) string {
	if c.Name != "" {
		return c.Name
	}
	if len(c.ID) > 12 {
		return c.ID[:12]
	}
	return c.ID
}

// Bytes formats n bytes in the largest binary unit that keeps a whole
// part: "512 B", "1.5 KiB", "128.0 MiB", "3.2 GiB".
func Bytes(n float64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	if n < 1024 {
		return fmt.Sprintf("%s%.0f B", sign, n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := -1
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%s%.1f %s", sign, n, units[i])
}
