package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/test/svgtest"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// fixed is an hour of history: the machine every 10 s; by RAM three
// containers (kw-ram-1 removed after 20 minutes, kw-gap with ten
// minutes missing, kw-once with a single point), by CPU two, one of
// them with a name no SVG may hold raw.
func fixed() *Data {
	d := &Data{From: t0, To: t0.Add(time.Hour), TopRAM: Ranking{By: apiv1.FigureRSSBytes}, TopCPU: Ranking{By: apiv1.FigureCPUPercent}}
	for i := range 360 {
		d.System = append(d.System, apiv1.SystemPoint{Time: t0.Add(time.Duration(i) * 10 * time.Second),
			MemTotalBytes: 2 << 30, MemUsedBytes: uint64(512+i) << 20, CPUPercent: float64(i % 100)})
	}
	series := func(from, to time.Duration, skip func(time.Duration) bool, f func(i int) apiv1.ContainerPoint) []apiv1.ContainerPoint {
		var pts []apiv1.ContainerPoint
		for at, i := from, 0; at <= to; at, i = at+10*time.Second, i+1 {
			if skip != nil && skip(at) {
				continue
			}
			p := f(i)
			p.Time = t0.Add(at)
			pts = append(pts, p)
		}
		return pts
	}
	ram := func(i int) apiv1.ContainerPoint { return apiv1.ContainerPoint{RSSBytes: 128 << 20, CPUPercent: 1} }
	cpu := func(i int) apiv1.ContainerPoint {
		return apiv1.ContainerPoint{RSSBytes: 1 << 20, CPUPercent: 99 + float64(i%2)}
	}
	d.TopRAM.Lines = []Line{
		{Container: apiv1.TopContainer{ID: "r1", Name: "kw-ram-1", Removed: t0.Add(20 * time.Minute)}, Points: series(0, 20*time.Minute, nil, ram)},
		{Container: apiv1.TopContainer{ID: "g", Name: "kw-gap"}, Points: series(0, time.Hour, func(at time.Duration) bool {
			return at > 30*time.Minute && at < 40*time.Minute
		}, ram)},
		{Container: apiv1.TopContainer{ID: "o", Name: "kw-once", Removed: t0.Add(5 * time.Minute)}, Points: series(time.Minute, time.Minute, nil, ram)},
	}
	d.TopCPU.Lines = []Line{
		{Container: apiv1.TopContainer{ID: "c1", Name: "kw-cpu-1 <&\"\x1b[31m\xff"}, Points: series(0, time.Hour, nil, cpu)},
		{Container: apiv1.TopContainer{ID: "r1", Name: "kw-ram-1", Removed: t0.Add(20 * time.Minute)}, Points: series(0, 20*time.Minute, nil, ram)},
	}
	return d
}

// The four graphs as SVG: well-formed, titled, and the ranked ones name
// every container in their legend, the removed ones marked so; a name
// with markup and control characters neither breaks the XML nor
// reaches it raw.
func TestRenderSVG(t *testing.T) {
	files, err := Render(fixed(), Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ram.svg":     {"Machine RAM", "used (total − available)", "total", "MiB", "time (UTC)", "2026-11-29 12:00 – 13:00"},
		"cpu.svg":     {"Machine CPU", "CPU use", "% of all CPUs"},
		"top-ram.svg": {"Top 3 containers by RAM", "kw-ram-1 (removed)", "kw-gap", "kw-once (removed)"},
		"top-cpu.svg": {"Top 2 containers by CPU", "kw-cpu-1 <&\"?[31m?", "kw-ram-1 (removed)"},
	}
	if len(files) != len(want) {
		t.Fatalf("%d files, want %d", len(files), len(want))
	}
	for _, f := range files {
		text := svgtest.Text(t, f.Name, f.Data)
		for _, w := range want[f.Name] {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q; its text:\n%s", f.Name, w, text)
			}
		}
		if f.Name == "top-ram.svg" && strings.Contains(text, "kw-gap (removed)") {
			t.Errorf("kw-gap runs, but is marked removed")
		}
	}
}

// The same graphs as PNG decode as images of the size promised.
func TestRenderPNG(t *testing.T) {
	files, err := Render(fixed(), Options{Format: PNG})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".png") {
			t.Errorf("file %s", f.Name)
		}
		img, err := png.Decode(bytes.NewReader(f.Data))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if b := img.Bounds(); b.Dx() != 1134 || b.Dy() != 638 {
			t.Errorf("%s: %v, want 1134×638", f.Name, b)
		}
		// Not a blank page: some pixels are drawn in the palette's blue.
		if !hasColor(img, palette[0]) {
			t.Errorf("%s has no line in the first colour", f.Name)
		}
	}
	if _, err := Render(fixed(), Options{Format: "gif"}); err == nil {
		t.Error("gif rendered")
	}
}

func hasColor(img image.Image, c interface{ RGBA() (r, g, b, a uint32) }) bool {
	wr, wg, wb, _ := c.RGBA()
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r == wr && g == wg && bl == wb {
				return true
			}
		}
	}
	return false
}

// A range with machine points but no container, or a single point, or
// figures all zero (or not a number), is drawn honestly: no crash, well-formed files, and
// an empty ranking says it is empty.
func TestRenderSparse(t *testing.T) {
	for name, d := range map[string]*Data{
		"no containers": {From: t0, To: t0.Add(time.Minute), System: []apiv1.SystemPoint{{Time: t0, MemTotalBytes: 1 << 30}},
			TopRAM: Ranking{By: apiv1.FigureRSSBytes}, TopCPU: Ranking{By: apiv1.FigureCPUPercent}},
		"zeros": {From: t0, To: t0.Add(time.Minute), System: []apiv1.SystemPoint{{Time: t0}, {Time: t0.Add(time.Second), CPUPercent: math.NaN()}},
			TopRAM: Ranking{By: apiv1.FigureRSSBytes, Lines: []Line{{Container: apiv1.TopContainer{ID: "x"}, Points: []apiv1.ContainerPoint{{Time: t0}}}}},
			TopCPU: Ranking{By: apiv1.FigureCPUPercent}},
		"nothing at all": {From: t0, To: t0.Add(time.Minute), TopRAM: Ranking{By: apiv1.FigureRSSBytes}, TopCPU: Ranking{By: apiv1.FigureCPUPercent}},
	} {
		files, err := Render(d, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range files {
			text := svgtest.Text(t, name+"/"+f.Name, f.Data)
			if strings.HasPrefix(f.Name, "top-") && name != "zeros" && !strings.Contains(text, "no container had a point in this range") {
				t.Errorf("%s/%s does not say it is empty:\n%s", name, f.Name, text)
			}
		}
	}
	if _, err := Render(&Data{From: t0, To: t0.Add(time.Minute), TopRAM: Ranking{By: "cpu_ns"}, TopCPU: Ranking{By: apiv1.FigureCPUPercent}}, Options{}); err == nil {
		t.Error("a ranking by a counter drawn")
	}
}

// fakeSource answers from fixed data and counts the calls.
type fakeSource struct {
	d      *Data
	series map[string]int
	fail   string
	lastR  Range
}

func (f *fakeSource) System(_ context.Context, r Range) ([]apiv1.SystemPoint, error) {
	f.lastR = r
	if f.fail == "system" {
		return nil, errors.New("boom")
	}
	return f.d.System, nil
}

func (f *fakeSource) Top(_ context.Context, r Range, by string, n int) ([]apiv1.TopContainer, error) {
	if f.fail == "top" {
		return nil, errors.New("boom")
	}
	rk := f.d.TopRAM
	if by == apiv1.FigureCPUPercent {
		rk = f.d.TopCPU
	}
	var out []apiv1.TopContainer
	for _, l := range rk.Lines[:min(n, len(rk.Lines))] {
		out = append(out, l.Container)
	}
	return out, nil
}

func (f *fakeSource) Series(_ context.Context, id string, r Range) ([]apiv1.ContainerPoint, error) {
	f.series[id]++
	if f.fail == "series" {
		return nil, errors.New("boom")
	}
	for _, l := range append(f.d.TopRAM.Lines, f.d.TopCPU.Lines...) {
		if l.Container.ID == id {
			return l.Points, nil
		}
	}
	return nil, fmt.Errorf("no container %s", id)
}
