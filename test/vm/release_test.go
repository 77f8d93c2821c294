package vm

import "testing"

func TestParseRelease(t *testing.T) {
	for name, want := range map[string]release{
		"6.1.0-57-amd64":       {name: "6.1.0-57-amd64", series: "6.1", patch: 0, abi: 57},
		"6.12.117+deb12-amd64": {name: "6.12.117+deb12-amd64", series: "6.12", patch: 117},
		"6.12.38+deb13-amd64":  {name: "6.12.38+deb13-amd64", series: "6.12", patch: 38},
	} {
		got, ok := parseRelease(name)
		if !ok || got != want {
			t.Errorf("parseRelease(%q) = %+v, %v; want %+v", name, got, ok, want)
		}
	}
	for _, name := range []string{"6.1.0-57-rt-amd64", "6.1.0-57-cloud-amd64", "6.1.0-57-amd64-dbg", "6.1.0-57-amd64-unsigned", "6.12.117+deb12-arm64", "6.1-amd64", "x"} {
		if r, ok := parseRelease(name); ok {
			t.Errorf("parseRelease(%q) = %+v, want no match", name, r)
		}
	}
}

func TestNewestRelease(t *testing.T) {
	names := []string{"6.1.0-9-amd64", "6.1.0-57-amd64", "6.1.0-56-amd64", "6.1.0-58-rt-amd64",
		"6.12.99+deb12-amd64", "6.12.117+deb12-amd64", "6.12.200+deb12-cloud-amd64", "6.10.3-amd64", "junk"}
	for series, want := range map[string]string{"6.1": "6.1.0-57-amd64", "6.12": "6.12.117+deb12-amd64", "6.10": "6.10.3-amd64"} {
		if r, ok := newestRelease(series, names); !ok || r.name != want {
			t.Errorf("newestRelease(%s) = %q, %v; want %q", series, r.name, ok, want)
		}
	}
	if r, ok := newestRelease("5.10", names); ok {
		t.Errorf("newestRelease(5.10) = %q, want none", r.name)
	}
}

func TestSeriesOf(t *testing.T) {
	for in, want := range map[string]string{"6.1.0-57-amd64": "6.1", "6.12.117+deb12-amd64": "6.12", "6.1-rc1": "6.1", "amd64": "", "6": ""} {
		if got := seriesOf(in); got != want {
			t.Errorf("seriesOf(%q) = %q, want %q", in, got, want)
		}
	}
}
