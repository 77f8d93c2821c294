package vm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kwarden/kwarden/test/vm/record"
)

// consoleParser turns serial console lines into a Result. Markers are
// recognised anywhere in a line, since kernel messages (timestamps) or
// output without a trailing newline may precede them. It is not safe for
// concurrent use.
type consoleParser struct {
	res     Result
	console strings.Builder
	sawExit bool
}

func newConsoleParser() *consoleParser {
	return &consoleParser{res: Result{ExitCode: -1}}
}

// line consumes one raw console line and returns it cleaned: without its
// line ending, terminal escape sequences and other control characters.
func (p *consoleParser) line(raw string) string {
	l := sanitize(raw)
	p.scan(l)
	return l
}

func (p *consoleParser) scan(l string) {
	p.console.WriteString(l)
	p.console.WriteByte('\n')

	if IsProblem(l) {
		p.res.Problems = append(p.res.Problems, l)
		return
	}
	i := strings.Index(l, "KWTEST-")
	if i < 0 {
		return
	}
	marker, rest, _ := strings.Cut(l[i:], " ")
	switch marker {
	case record.RecordMarker:
		p.record(rest)
	case MarkerExit:
		code, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil {
			p.res.Malformed = append(p.res.Malformed, fmt.Sprintf("parse exit line %q: %v", l, err))
			return
		}
		p.res.ExitCode = code
		p.sawExit = true
	case MarkerInit:
		p.res.InitStarted = true
	case MarkerInsmod:
		st, mod, _ := strings.Cut(rest, " ")
		status, err := strconv.Atoi(st)
		if err != nil || mod == "" {
			p.res.Malformed = append(p.res.Malformed, fmt.Sprintf("parse insmod line %q", l))
			return
		}
		p.res.Modules = append(p.res.Modules, ModuleLoad{Path: mod, Status: status})
	case MarkerSetup:
		p.res.SetupFailures = append(p.res.SetupFailures, rest)
	case MarkerAbort:
		p.res.Aborted = rest
	}
}

func (p *consoleParser) record(rest string) {
	name, data, ok := strings.Cut(rest, " ")
	data = strings.TrimSpace(data)
	switch {
	case !ok || record.ValidName(name) != nil:
		p.res.Malformed = append(p.res.Malformed, fmt.Sprintf("parse record %q: bad name", rest))
	case !json.Valid([]byte(data)):
		p.res.Malformed = append(p.res.Malformed, fmt.Sprintf("parse record %q: invalid JSON", rest))
	default:
		p.res.Records = append(p.res.Records, Record{Name: name, Data: json.RawMessage(data)})
	}
}

// result returns the Result so far. The parser must not be used afterwards.
func (p *consoleParser) result() *Result {
	r := p.res
	r.Console = p.console.String()
	r.SawExit = p.sawExit
	return &r
}

// Sanitize returns a console line without ANSI escape sequences and
// control characters other than tab: what a disk-booted guest's console
// (SeaBIOS, GRUB, systemd's colours) looks like to a person.
func Sanitize(l string) string { return sanitize(l) }

// sanitize removes ANSI escape sequences (SeaBIOS clears the screen) and
// control characters other than tab from a console line.
func sanitize(l string) string {
	clean := true
	for i := 0; i < len(l); i++ {
		if c := l[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return l
	}
	var b strings.Builder
	b.Grow(len(l))
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case c == 0x1b && i+1 < len(l) && l[i+1] == '[':
			// CSI: parameters and intermediates up to a final byte.
			i += 2
			for i < len(l) && (l[i] < 0x40 || l[i] > 0x7e) {
				i++
			}
		case c == 0x1b:
			i++ // two-character sequence such as ESC c
		case (c < 0x20 && c != '\t') || c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
