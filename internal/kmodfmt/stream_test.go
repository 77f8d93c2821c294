package kmodfmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/kwarden/kwarden/internal/snapshot"
)

// chunkReader returns at most n bytes per Read, like a reader racing the
// kernel that produces the file.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

func streamParse(t testing.TB, r io.Reader) (*snapshot.Processes, error) {
	t.Helper()
	var dst snapshot.Processes
	_, err := parseProcessesStreaming(context.Background(), r, make([]byte, 0, 16), &dst, 4)
	return &dst, err
}

// Streaming gives exactly what parsing the whole input gives, whatever
// the chunking, including for layouts that are not the module's.
func TestStreamingMatchesWhole(t *testing.T) {
	module := syntheticProcesses(300)
	whole, err := ParseProcesses(module)
	if err != nil {
		t.Fatal(err)
	}
	indented, err := json.MarshalIndent(struct {
		Schema int    `json:"schema"`
		Kind   string `json:"kind"`
		*snapshot.Processes
	}{1, "processes", whole}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{"module layout": module, "indented": indented,
		"one line": bytes.ReplaceAll(module, []byte("\n"), nil), "fixture": readFixture(t, "processes.json")}
	for name, in := range inputs {
		want, err := ParseProcesses(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, n := range []int{1, 7, 100, 4096, 1 << 20} {
			got, err := streamParse(t, &chunkReader{data: in, n: n})
			if err != nil {
				t.Fatalf("%s, %d-byte chunks: %v", name, n, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, %d-byte chunks: streaming result differs", name, n)
			}
		}
	}
}

func TestStreamingRejectsAndReportsErrors(t *testing.T) {
	module := syntheticProcesses(50)
	if _, err := streamParse(t, &chunkReader{data: module[:len(module)-200], n: 512}); err == nil {
		t.Fatal("truncated input accepted")
	}
	trailing := bytes.Replace(module, []byte("}\n]}"), []byte("},\n]}"), 1)
	if _, err := streamParse(t, &chunkReader{data: trailing, n: 512}); err == nil {
		t.Fatal("trailing comma accepted")
	}
	boom := errors.New("device went away")
	_, err := streamParse(t, io.MultiReader(bytes.NewReader(module[:1000]), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("read error not reported: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var dst snapshot.Processes
	if _, err := parseProcessesStreaming(ctx, &chunkReader{data: module, n: 64}, nil, &dst, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: %v", err)
	}
}

// FuzzStreaming checks that streaming and whole-input parsing agree on
// arbitrary input and chunk sizes.
func FuzzStreaming(f *testing.F) {
	f.Add(readFixture(f, "processes.json"), uint16(3))
	f.Add(syntheticProcesses(3), uint16(40))
	f.Fuzz(func(t *testing.T, data []byte, n uint16) {
		want, werr := ParseProcesses(data)
		got, gerr := streamParse(t, &chunkReader{data: data, n: int(n%512) + 1})
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("whole: %v, streaming: %v", werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("results differ")
		}
	})
}
