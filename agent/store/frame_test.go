package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestFrameRoundTrip(t *testing.T) {
	in := []frameEntry{
		{1, ContainerPoint{CPUPercent: 99.5, RAMPercent: 0.25, CPUNs: 1 << 40, RSSBytes: 128 << 20, MemUsageBytes: 130 << 20,
			WorkingSetBytes: 129 << 20, ReadBytes: 7, WriteBytes: 1 << 33, Processes: 3, Threads: 9, VSZBytes: 3 << 30, Class: "high"}},
		{300, ContainerPoint{Class: "low", Samples: 60}},
		{1 << 40, ContainerPoint{}},
	}
	b, err := encodeFrame(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []frameEntry
	if err := walkFrame(b, func(uint64) bool { return true }, func(i uint64, p ContainerPoint) {
		out = append(out, frameEntry{i, p})
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
	// Skipping: only index 300 is decoded.
	var got []uint64
	walkFrame(b, func(i uint64) bool { return i == 300 }, func(i uint64, _ ContainerPoint) { got = append(got, i) })
	if len(got) != 1 || got[0] != 300 {
		t.Fatalf("want only 300, got %v", got)
	}
	if _, err := encodeFrame([]frameEntry{{1, ContainerPoint{Class: "medium"}}}); err == nil {
		t.Error("unknown class encoded")
	}
	// Every truncation is an error, never a panic or a short success.
	for n := range len(b) {
		if err := walkFrame(b[:n], func(uint64) bool { return true }, func(uint64, ContainerPoint) {}); !errors.Is(err, errCorrupt) {
			t.Fatalf("truncated to %d of %d bytes: %v", n, len(b), err)
		}
	}
}

// A point written before vsz and threads were stored ends at its class
// byte: it reads with both zero. One cut inside the new fields is
// corrupt.
func TestPointOfTheFirstLayout(t *testing.T) {
	p := ContainerPoint{CPUPercent: 12.5, RSSBytes: 1 << 20, Processes: 2, Threads: 5, VSZBytes: 1 << 30, Class: "low"}
	b, err := appendPoint(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	old := b[:len(b)-len(binary.AppendUvarint(binary.AppendUvarint(nil, p.VSZBytes), uint64(p.Threads)))]
	got, err := decodePoint(old)
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.Threads, want.VSZBytes = 0, 0
	if got != want {
		t.Errorf("old layout read as %+v, want %+v", got, want)
	}
	if _, err := decodePoint(b[:len(b)-1]); !errors.Is(err, errCorrupt) {
		t.Errorf("point cut inside its threads: %v", err)
	}
	if got, err := decodePoint(b); err != nil || got != p {
		t.Errorf("new layout read as %+v, %v", got, err)
	}
}

// pointField reads what decodePoint reads, field by field, and a
// truncated point is an error.
func TestPointField(t *testing.T) {
	p := ContainerPoint{CPUPercent: 99.5, RAMPercent: 0.25, CPUNs: 1 << 40, RSSBytes: 128 << 20, MemUsageBytes: 130 << 20,
		WorkingSetBytes: 129 << 20, ReadBytes: 7, WriteBytes: 1 << 33, Processes: 3, Samples: 60, Class: "high"}
	b, err := appendPoint(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range []float64{p.CPUPercent, p.RAMPercent, float64(p.CPUNs), float64(p.RSSBytes),
		float64(p.MemUsageBytes), float64(p.WorkingSetBytes), float64(p.ReadBytes), float64(p.WriteBytes), 3, 60} {
		if got, err := pointField(b, field); err != nil || got != want {
			t.Errorf("field %d: %v %v, want %v", field, got, err, want)
		}
	}
	for _, n := range []int{0, 15, 16, 17} {
		if _, err := pointField(b[:n], 5); !errors.Is(err, errCorrupt) {
			t.Errorf("field 5 of %d bytes: %v", n, err)
		}
	}
}

func FuzzWalkFrame(f *testing.F) {
	b, _ := encodeFrame([]frameEntry{{1, ContainerPoint{CPUPercent: 1, Class: "low"}}, {2, ContainerPoint{RSSBytes: 9}}})
	f.Add(b)
	f.Add([]byte{frameVersion, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var entries []frameEntry
		err := walkFrame(b, func(uint64) bool { return true }, func(i uint64, p ContainerPoint) {
			entries = append(entries, frameEntry{i, p})
		})
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error not marked corrupt: %v", err)
			}
			return
		}
		// What decodes re-encodes to something that decodes the same.
		again, err := encodeFrame(entries)
		if err != nil {
			t.Fatalf("decoded entries do not encode: %v", err)
		}
		var back []frameEntry
		if err := walkFrame(again, func(uint64) bool { return true }, func(i uint64, p ContainerPoint) {
			back = append(back, frameEntry{i, p})
		}); err != nil || len(back) != len(entries) {
			t.Fatalf("re-encoded frame: %v, %d of %d entries", err, len(back), len(entries))
		}
	})
}

// A schema-1 file (a JSON bucket per container) opens at this build's
// schema with the same series, raw and minute points alike.
func TestMigrateFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := migrations[0](tx); err != nil {
			return err
		}
		meta, _ := tx.CreateBucketIfNotExists(bMeta)
		if err := meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, 1)); err != nil {
			return err
		}
		for _, id := range []string{"a", "b"} {
			raw, _ := tx.Bucket(bSeries).CreateBucket([]byte(id))
			for i := range 5 {
				at := t0.Add(time.Hour + time.Duration(i)*time.Second)
				v, _ := json.Marshal(ContainerPoint{Time: at, CPUPercent: float64(i), RSSBytes: uint64(len(id)) << 20, Class: "low"})
				if err := raw.Put(key(at), v); err != nil {
					return err
				}
			}
			m1, _ := tx.Bucket(bSeries1m).CreateBucket([]byte(id))
			v, _ := json.Marshal(ContainerPoint{Time: t0, CPUPercent: 50, Samples: 60, Class: "high"})
			if err := m1.Put(key(t0), v); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, path, Options{})
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Fatalf("schema %d after migration", v)
	}
	for _, id := range []string{"a", "b"} {
		pts, _, err := s.ContainerSeries(id, RangeQuery{From: t0, To: t0.Add(2 * time.Hour)})
		if err != nil || len(pts) != 6 {
			t.Fatalf("%s: %v, %d points", id, err, len(pts))
		}
		if pts[0].CPUPercent != 50 || pts[0].Samples != 60 || pts[0].Class != "high" || !pts[0].Time.Equal(t0) {
			t.Errorf("%s minute point: %+v", id, pts[0])
		}
		if pts[5].CPUPercent != 4 || pts[5].RSSBytes != uint64(len(id))<<20 || !pts[5].Time.Equal(t0.Add(time.Hour+4*time.Second)) {
			t.Errorf("%s last raw point: %+v", id, pts[5])
		}
	}
	s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bSeries) != nil {
			t.Error("schema-1 bucket left behind")
		}
		return nil
	})
}

// Folding twice into the same minute weighs each part by its samples.
func TestPruneMergesByWeight(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "h.db"), Options{RawRetention: time.Hour, Retention: 24 * time.Hour})
	write := func(from, to int, cpu float64) {
		for i := from; i < to; i++ {
			at := t0.Add(time.Duration(i) * time.Second)
			if err := s.WriteTick(Tick{System: SystemPoint{Time: at, CPUPercent: cpu},
				Containers: map[string]ContainerPoint{"a": {CPUPercent: cpu}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 45, 10)     // 45 s at 10 %
	write(3645, 3646, 0) // history's newest point, an hour on
	if _, err := s.Prune(t0.Add(time.Hour + 50*time.Second)); err != nil {
		t.Fatal(err)
	}
	write(45, 60, 50) // then 15 s at 50 %
	write(7200, 7201, 0)
	if _, err := s.Prune(t0.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	pts, _, err := s.ContainerSeries("a", RangeQuery{From: t0, To: t0.Add(time.Hour)})
	if err != nil || len(pts) != 1 {
		t.Fatalf("%v %+v", err, pts)
	}
	if want := (45*10.0 + 15*50.0) / 60; pts[0].CPUPercent != want || pts[0].Samples != 60 {
		t.Errorf("merged minute: %.2f %% over %d samples, want %.2f over 60", pts[0].CPUPercent, pts[0].Samples, want)
	}
	sys, _, _ := s.SystemRange(RangeQuery{From: t0, To: t0.Add(time.Hour)})
	if len(sys) != 1 || sys[0].CPUPercent != 20 || sys[0].Samples != 60 {
		t.Errorf("merged system minute: %+v", sys)
	}
}
