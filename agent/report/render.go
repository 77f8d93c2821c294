package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Format is a graph file's format.
type Format string

// The formats Render writes.
const (
	SVG Format = "svg"
	PNG Format = "png"
)

// ParseFormat reads a format's name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case SVG, PNG:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want svg or png", s)
}

// File is one graph, drawn.
type File struct {
	// Name is the file's name: ram, cpu, top-ram or top-cpu, and the
	// format's extension.
	Name string
	Data []byte
}

// Options say how graphs are drawn.
type Options struct {
	Format Format // "" is SVG
	// Location is the time zone of the time axes; nil is time.Local,
	// where the course's students read the clock.
	Location *time.Location
}

// Graph size: wide enough for a day's time ticks, a 16:9 slide's shape.
const (
	width  = 24 * vg.Centimeter
	height = 13.5 * vg.Centimeter
	dpi    = 120 // PNG: 1134×638 pixels
)

const mib = 1 << 20

// Render draws the four graphs of d: the machine's RAM (used and total)
// and CPU over time, and the ranked containers' RSS and CPU over time,
// each container a line labelled with its name, removed ones marked
// and dashed. A ranking with no container is drawn with a note that
// says so. It touches no file.
func Render(d *Data, o Options) ([]File, error) {
	if o.Format == "" {
		o.Format = SVG
	}
	if _, err := ParseFormat(string(o.Format)); err != nil {
		return nil, err
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	colors := containerColors(d)
	graphs := []struct {
		name string
		plot func(*Data, *time.Location) (*plot.Plot, error)
	}{
		{"ram", machineRAM},
		{"cpu", machineCPU},
		{"top-ram", func(d *Data, loc *time.Location) (*plot.Plot, error) { return ranked(d, d.TopRAM, colors, loc) }},
		{"top-cpu", func(d *Data, loc *time.Location) (*plot.Plot, error) { return ranked(d, d.TopCPU, colors, loc) }},
	}
	var files []File
	for _, g := range graphs {
		b, err := drawOne(d, o, g.plot)
		if err != nil {
			return nil, fmt.Errorf("draw %s: %w", g.name, err)
		}
		files = append(files, File{Name: g.name + "." + string(o.Format), Data: b})
	}
	return files, nil
}

// drawOne makes and encodes one graph. gonum's canvases panic on what
// they cannot draw; kwardend draws at its stop, before it closes its
// history, so a panic here is turned into this graph's error.
func drawOne(d *Data, o Options, mk func(*Data, *time.Location) (*plot.Plot, error)) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("the plotting library failed: %v", r)
		}
	}()
	p, err := mk(d, o.Location)
	if err != nil {
		return nil, err
	}
	return encode(p, o.Format)
}

// encode draws p on a canvas of the format. The canvases are made here
// rather than by plot.Save, which would take the format from a file
// name and write the file itself.
func encode(p *plot.Plot, f Format) ([]byte, error) {
	var buf bytes.Buffer
	switch f {
	case SVG:
		c := vgsvg.New(width, height)
		p.Draw(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, err
		}
	case PNG:
		c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
		p.Draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// newPlot is a graph of d's range: the title with the range under it,
// the time axis fixed to the range (so the four graphs line up), and y
// from 0.
func newPlot(d *Data, title, ylabel string, loc *time.Location) *plot.Plot {
	p := plot.New()
	from, to := d.From.In(loc), d.To.In(loc)
	day, clock := "2006-01-02 ", "15:04"
	if to.Sub(from) < 10*time.Minute {
		clock = "15:04:05" // a short run's ends are not the same minute
	}
	end := to.Format(day + clock)
	if from.YearDay() == to.YearDay() && from.Year() == to.Year() {
		end = to.Format(clock)
	}
	p.Title.Text = fmt.Sprintf("%s\n%s – %s", title, from.Format(day+clock), end)
	p.Title.Padding = vg.Points(6)
	p.X.Min, p.X.Max = unix(d.From), unix(d.To)
	p.X.Tick.Marker = timeTicks{loc: loc}
	p.Y.Tick.Marker = numberTicks{}
	zone, _ := d.To.In(loc).Zone()
	p.X.Label.Text = "time (" + zone + ")"
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), -vg.Points(4) // off the frame's edge
	return p
}

// unix is t as the x axis counts it.
func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// machineRAM is the machine's used and total memory over time, in MiB.
func machineRAM(d *Data, loc *time.Location) (*plot.Plot, error) {
	p := newPlot(d, "Machine RAM", "MiB", loc)
	used := func(s apiv1.SystemPoint) float64 { return float64(s.MemUsedBytes) / mib }
	total := func(s apiv1.SystemPoint) float64 { return float64(s.MemTotalBytes) / mib }
	if err := addSystem(p, d, "used (total − available)", used, palette[0], nil); err != nil {
		return nil, err
	}
	if err := addSystem(p, d, "total", total, palette[1], dashed); err != nil {
		return nil, err
	}
	headroom(p)
	return p, nil
}

// machineCPU is the machine's CPU use over time, % of all its CPUs.
func machineCPU(d *Data, loc *time.Location) (*plot.Plot, error) {
	p := newPlot(d, "Machine CPU", "% of all CPUs", loc)
	cpu := func(s apiv1.SystemPoint) float64 { return s.CPUPercent }
	if err := addSystem(p, d, "CPU use", cpu, palette[0], nil); err != nil {
		return nil, err
	}
	p.Y.Max = math.Max(p.Y.Max, 100)
	headroom(p)
	return p, nil
}

// addSystem adds one figure of the machine's points as a line.
func addSystem(p *plot.Plot, d *Data, name string, f func(apiv1.SystemPoint) float64, c color.Color, dashes []vg.Length) error {
	times := make([]time.Time, len(d.System))
	ys := make([]float64, len(d.System))
	for i, s := range d.System {
		times[i], ys[i] = s.Time, f(s)
	}
	return addLine(p, name, times, ys, c, dashes)
}

// containerColors gives each ranked container a colour of its own, the
// same in both rankings: a container heavy in RAM and in CPU is one
// colour in the two graphs.
func containerColors(d *Data) map[string]color.Color {
	colors := map[string]color.Color{}
	for _, l := range append(slices.Clip(d.TopRAM.Lines), d.TopCPU.Lines...) {
		if _, ok := colors[l.Container.ID]; !ok {
			colors[l.Container.ID] = palette[len(colors)%len(palette)]
		}
	}
	return colors
}

// ranked is the ranking's containers over time, one line each.
func ranked(d *Data, r Ranking, colors map[string]color.Color, loc *time.Location) (*plot.Plot, error) {
	var title, ylabel string
	var f func(apiv1.ContainerPoint) float64
	switch r.By {
	case apiv1.FigureRSSBytes:
		title, ylabel = "Top %d containers by RAM (resident memory, mean)", "MiB"
		f = func(p apiv1.ContainerPoint) float64 { return float64(p.RSSBytes) / mib }
	case apiv1.FigureCPUPercent:
		title, ylabel = "Top %d containers by CPU (mean)", "% of one CPU"
		f = func(p apiv1.ContainerPoint) float64 { return p.CPUPercent }
	default:
		return nil, fmt.Errorf("no graph of a ranking by %q", r.By)
	}
	p := newPlot(d, fmt.Sprintf(title, len(r.Lines)), ylabel, loc)
	if len(r.Lines) == 0 {
		p.Title.Text = strings.Replace(p.Title.Text, "Top 0 containers", "Top containers", 1)
		return p, note(p, "no container had a point in this range")
	}
	for _, l := range r.Lines {
		name := printable(l.Container.Name)
		if name == "" {
			name = l.Container.ID[:min(12, len(l.Container.ID))]
		}
		var dashes []vg.Length
		if !l.Container.Removed.IsZero() {
			name += " (removed)"
			dashes = dashed
		}
		times := make([]time.Time, len(l.Points))
		ys := make([]float64, len(l.Points))
		for j, pt := range l.Points {
			times[j], ys[j] = pt.Time, f(pt)
		}
		if err := addLine(p, name, times, ys, colors[l.Container.ID], dashes); err != nil {
			return nil, err
		}
	}
	headroom(p)
	return p, nil
}

// Okabe and Ito's palette, which people with any colour blindness tell
// apart, and the dashes of a removed container's line.
var (
	palette = []color.Color{
		color.RGBA{0, 114, 178, 255},   // blue
		color.RGBA{213, 94, 0, 255},    // vermilion
		color.RGBA{0, 158, 115, 255},   // bluish green
		color.RGBA{204, 121, 167, 255}, // reddish purple
		color.RGBA{230, 159, 0, 255},   // orange
		color.RGBA{86, 180, 233, 255},  // sky blue
		color.RGBA{0, 0, 0, 255},
	}
	dashed = []vg.Length{vg.Points(6), vg.Points(3)}
)

// addLine adds a named line through the points, broken where the
// history has a gap (kwardend was stopped, or the container was not
// measured) so that no line is drawn through a time nothing was known.
// A line of one point is drawn as a dot, not left out.
func addLine(p *plot.Plot, name string, times []time.Time, ys []float64, c color.Color, dashes []vg.Length) error {
	if len(times) == 0 {
		return nil
	}
	// A figure that is not a number (a damaged record) is left out
	// rather than given to the plotting library.
	keep := 0
	for i := range times {
		if !math.IsNaN(ys[i]) && !math.IsInf(ys[i], 0) {
			times[keep], ys[keep] = times[i], ys[i]
			keep++
		}
	}
	times, ys = times[:keep], ys[:keep]
	if len(times) == 0 {
		return nil
	}
	gap := 3 * medianSpacing(times)
	var thumb plot.Thumbnailer
	start := 0
	for i := 1; i <= len(times); i++ {
		if i < len(times) && (gap == 0 || times[i].Sub(times[i-1]) <= gap) {
			continue
		}
		xys := make(plotter.XYs, 0, i-start)
		for j := start; j < i; j++ {
			xys = append(xys, plotter.XY{X: unix(times[j]), Y: ys[j]})
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color, l.Width, l.Dashes = c, vg.Points(1.5), dashes
		p.Add(l)
		if len(xys) == 1 {
			dot, err := plotter.NewScatter(xys)
			if err != nil {
				return err
			}
			dot.Color, dot.Radius = c, vg.Points(2)
			p.Add(dot)
		}
		if thumb == nil {
			thumb = l
		}
		start = i
	}
	p.Legend.Add(name, thumb)
	return nil
}

// medianSpacing is the median time between successive points (0 for
// fewer than two): the tick interval, or the series' step.
func medianSpacing(times []time.Time) time.Duration {
	if len(times) < 2 {
		return 0
	}
	d := make([]time.Duration, 0, len(times)-1)
	for i := 1; i < len(times); i++ {
		d = append(d, times[i].Sub(times[i-1]))
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// headroom raises the top of the y axis so that the legend, in the top
// right corner, covers little of the lines.
func headroom(p *plot.Plot) {
	if p.Y.Max <= p.Y.Min {
		p.Y.Max = p.Y.Min + 1
	}
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.35
}

// note writes text in the middle of an empty graph.
func note(p *plot.Plot, text string) error {
	p.Y.Max = 1
	l, err := plotter.NewLabels(plotter.XYLabels{
		XYs:    []plotter.XY{{X: (p.X.Min + p.X.Max) / 2, Y: 0.5}},
		Labels: []string{text},
	})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(l)
	return nil
}

// printable is s with what an SVG (XML 1.0) or a legend cannot show
// replaced: control characters and invalid UTF-8. Docker's names are
// plain, but a report must not be made invalid by one that is not.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}
