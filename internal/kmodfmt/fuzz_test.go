package kmodfmt

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// FuzzParseProcesses checks that no input panics, and that whatever the
// decoder accepts survives a round trip through encoding/json unchanged.
func FuzzParseProcesses(f *testing.F) {
	f.Add(readFixture(f, "processes.json"))
	f.Add([]byte(`{"schema":1,"kind":"processes","processes":[]}`))
	f.Add([]byte(`{"schema":1,"kind":"processes","processes":[{"pid":1,"ppid":0,"comm":"\ud800","state":"S","start_time_ns":0,"cpu_ns":0,"threads":1,"cmdline":["\u0000"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseProcesses(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(struct {
			Schema int    `json:"schema"`
			Kind   string `json:"kind"`
			*snapshot.Processes
		}{Schema, "processes", got})
		if err != nil {
			t.Fatalf("marshal accepted document: %v", err)
		}
		again, err := ParseProcesses(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("round trip changed the document:\n%+v\n%+v", got, again)
		}
	})
}

func FuzzParseSmall(f *testing.F) {
	f.Add(readFixture(f, "system.json"))
	f.Add(readFixture(f, "containers.json"))
	f.Add(readFixture(f, "version.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// None may panic; errors are the expected outcome for most inputs.
		_, _ = ParseSystem(data)
		_, _ = ParseContainers(data)
		_, _ = ParseVersion(data)
	})
}
