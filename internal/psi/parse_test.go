package psi

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func us(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

// The kernels' formats. 6.1 and 6.12 print with one format string
// (psi_show; cpu has had a full line, all zeros machine-wide, since
// 5.13), and their fixtures are written to it; 6.18's files and a
// cgroup's were read on the build machine; 5.10's cpu file has no full
// line.
func TestParseKernelFormats(t *testing.T) {
	cases := map[string]Resource{
		"6.1/memory": {Some: Figures{0, 0.12, 0.31, us(4371839)}, Full: Figures{0, 0.05, 0.14, us(1893201)}},
		"6.1/cpu":    {Some: Figures{2.57, 1.93, 0.88, us(93481133)}},
		"6.1/io":     {Some: Figures{0.41, 0.22, 0.10, us(12834110)}, Full: Figures{0.30, 0.17, 0.08, us(10297456)}},
		"6.12/memory": {Some: Figures{12.46, 4.08, 1.02, us(18203377)},
			Full: Figures{9.81, 3.27, 0.81, us(14476012)}},
		"6.12/cpu":    {Some: Figures{100, 87.03, 40.55, us(311004871)}},
		"6.12/io":     {},
		"6.18/memory": {Some: Figures{0, 0.18, 0.58, us(3699940)}, Full: Figures{0, 0.12, 0.39, us(2575781)}},
		"6.18/cpu":    {Some: Figures{12.57, 21.80, 19.42, us(2659652739)}},
		"6.18/io":     {Some: Figures{0.05, 0.48, 1.19, us(149171963)}, Full: Figures{0, 0.15, 0.49, us(88428863)}},
		"6.18/cgroup-cpu.pressure": {Some: Figures{0, 0, 0.22, us(646129126)},
			Full: Figures{0, 0, 0.08, us(502769680)}},
		"6.18/cgroup-memory.pressure": {},
		"5.10/cpu":                    {Some: Figures{0.79, 0.54, 0.23, us(2190355)}},
	}
	for name, want := range cases {
		got, err := ParseResource(fixture(t, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

// Lenient where kernels may differ: no full line, lines and fields of
// names it does not know, no final newline, extra spaces.
func TestParseLenient(t *testing.T) {
	some := Figures{1.5, 2, 3.25, us(42)}
	cases := map[string]string{
		"no full line":     "some avg10=1.50 avg60=2.00 avg300=3.25 total=42\n",
		"no final newline": "some avg10=1.50 avg60=2.00 avg300=3.25 total=42",
		"a new line kind":  "some avg10=1.50 avg60=2.00 avg300=3.25 total=42\nboth avg10=x\n",
		"a new field":      "some avg10=1.50 avg60=2.00 avg300=3.25 total=42 avg1=7.00\n",
		"fields reordered": "some total=42 avg300=3.25 avg60=2 avg10=1.5\n",
		"extra spaces":     "some  avg10=1.50 avg60=2.00  avg300=3.25 total=42 \n\n",
	}
	for name, in := range cases {
		got, err := ParseResource([]byte(in))
		if err != nil || got != (Resource{Some: some}) {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
}

// Strict where no kernel differs: every error names the line by number
// and says what is wrong with it.
func TestParseRejects(t *testing.T) {
	const full = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	cases := []struct{ name, in, want string }{
		{"empty", "", "no some line"},
		{"garbage", "\x00\xff\n", "no some line"},
		{"only full", full, "no some line"},
		{"two some lines", "some avg10=0 avg60=0 avg300=0 total=0\nsome avg10=0 avg60=0 avg300=0 total=0\n", `line 2 "some avg10=0`},
		{"two full lines", "some avg10=0 avg60=0 avg300=0 total=0\n" + full + full, "line 3"},
		{"no fields", "some\n", `line 1 "some": want avg10, avg60, avg300 and total`},
		{"missing total", "some avg10=0.00 avg60=0.00 avg300=0.00\n", "want avg10, avg60, avg300 and total"},
		{"field twice", "some avg10=0.00 avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", "avg10 given twice"},
		{"not key=value", "some avg10=0.00 avg60 avg300=0.00 total=0\n", `field "avg60" is not key=value`},
		{"bad average", "some avg10=0.00 avg60=x avg300=0.00 total=0\n", `avg60="x": not a decimal number`},
		{"negative average", "some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n", "not a decimal number"},
		{"exponent", "some avg10=1e1 avg60=0.00 avg300=0.00 total=0\n", "not a decimal number"},
		{"NaN", "some avg10=NaN avg60=0.00 avg300=0.00 total=0\n", "not a decimal number"},
		{"hex float", "some avg10=0x1p1 avg60=0.00 avg300=0.00 total=0\n", "not a decimal number"},
		{"dot only", "some avg10=. avg60=0.00 avg300=0.00 total=0\n", "not a decimal number"},
		{"above 100", "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n", "above 100 %"},
		{"empty total", "some avg10=0.00 avg60=0.00 avg300=0.00 total=\n", `total="": not an unsigned integer`},
		{"fractional total", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1.5\n", "not an unsigned integer"},
		{"total past Duration", "some avg10=0.00 avg60=0.00 avg300=0.00 total=9223372036854776\n", "beyond time.Duration's range"},
		{"broken full line", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=z\n", `line 2 "full`},
	}
	for _, c := range cases {
		_, err := ParseResource([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
	// The largest total a Duration holds is still taken.
	r, err := ParseResource([]byte("some avg10=0.00 avg60=0.00 avg300=0.00 total=9223372036854775\n"))
	if err != nil || r.Some.Total != us(9223372036854775) {
		t.Errorf("largest total: %v, %v", r.Some.Total, err)
	}
}

// Damaged files as a reader could meet them: a read cut short, numbers
// in another locale's notation, a negative or overflowing total.
func TestParseBrokenFiles(t *testing.T) {
	cases := map[string]string{
		"broken/truncated":      `line 2 "full avg10=0.00 avg60=0.": avg60="0.": not a decimal number`,
		"broken/no-some":        "no some line",
		"broken/negative-total": `line 1 "some avg10=0.00 avg60=0.00 avg300=0.00 total=-5": total="-5": not an unsigned integer`,
		"broken/decimal-comma":  `avg10="0,50": not a decimal number`,
		"broken/total-overflow": `total="18446744073709551616": strconv.ParseUint`,
	}
	for name, want := range cases {
		_, err := ParseResource(fixture(t, name))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one with %q", name, err, want)
		}
	}
}

// FuzzParseResource: any input either fails or gives figures a caller
// can use as they are: averages from 0 to 100, totals not negative.
func FuzzParseResource(f *testing.F) {
	for _, name := range []string{"6.1/memory", "6.1/cpu", "6.12/memory", "6.18/io", "6.18/cgroup-cpu.pressure",
		"5.10/cpu", "broken/truncated", "broken/decimal-comma"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResource(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse pressure: ") {
				t.Fatalf("error without the prefix: %v", err)
			}
			return
		}
		for _, fig := range []Figures{r.Some, r.Full} {
			for _, avg := range []float64{fig.Avg10, fig.Avg60, fig.Avg300} {
				if math.IsNaN(avg) || avg < 0 || avg > 100 {
					t.Fatalf("average %v accepted from %q", avg, b)
				}
			}
			if fig.Total < 0 {
				t.Fatalf("total %v accepted from %q", fig.Total, b)
			}
		}
	})
}
