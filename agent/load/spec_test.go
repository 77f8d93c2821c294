package load

import (
	"context"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	good := map[string]int64{
		"0": 0, "4096": 4096, "10B": 10, "1K": 1024, "1KiB": 1024, "1KB": 1000,
		"64M": 64 << 20, "64MiB": 64 << 20, "100MB": 100_000_000, "2G": 2 << 30, "1GB": 1e9, " 128 MiB ": 128 << 20,
	}
	for in, want := range good {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "1.5M", "1TB", "12x", "99999999999999999999", "9000000000G"} {
		if got, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestSpecRejects(t *testing.T) {
	for _, s := range []Spec{
		{Kind: "gpu"},
		{Kind: CPU, Workers: -1},
		{Kind: CPU, Workers: 5000},
		{Kind: RAM, Bytes: -5},
		{Kind: Low, Duration: -1},
		{Kind: RAM, Reread: true},
	} {
		err := Run(context.Background(), s, nil)
		if err == nil {
			t.Errorf("Run(%+v) accepted a bad spec", s)
		}
	}
	if err := Run(context.Background(), Spec{Kind: "gpu"}, nil); !strings.Contains(err.Error(), "cpu, ram, io, disk or low") {
		t.Errorf("unknown kind error does not list the kinds: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	for _, c := range []struct {
		in      Spec
		workers int
		bytes   int64
	}{
		{Spec{Kind: CPU}, DefaultCPUWorkers, 0},
		{Spec{Kind: IO}, DefaultIOWorkers, 0},
		{Spec{Kind: RAM}, 0, DefaultRAMBytes},
		{Spec{Kind: Disk}, 0, DefaultDiskBytes},
		{Spec{Kind: CPU, Workers: 3}, 3, 0},
	} {
		s, err := c.in.withDefaults()
		if err != nil || s.Workers != c.workers || s.Bytes != c.bytes || s.Dir != DefaultDir {
			t.Errorf("%+v → %+v, %v", c.in, s, err)
		}
	}
}
