package vmtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kwarden/kwarden/internal/vmtest/guest"
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

// line consumes one console line without its line ending.
func (p *consoleParser) line(l string) {
	l = strings.TrimRight(l, "\r\n")
	l = strings.ReplaceAll(l, "\r", "")
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
	case guest.RecordMarker:
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
	case !ok || guest.ValidName(name) != nil:
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
