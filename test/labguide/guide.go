// Package labguide reads the lab guide (docs/lab/) as a test runs it:
// each exercise's title and the shell blocks it tells the student to
// run, in order, and where (the lab VM, or the student's own machine).
// The appliance's image test runs these very blocks in a booted lab, so
// that a command in the guide that stops working fails a test.
//
// A block runs when its fence's info string is "sh" (in the lab VM, as
// the student) or "sh host" (on the student's machine, in a checkout of
// the repository). Other blocks are for reading only.
package labguide

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Where a block runs.
const (
	VM   = "vm"
	Host = "host"
)

// Block is one shell block of a page.
type Block struct {
	Where  string
	Script string
	// Line is the line of its opening fence, for messages.
	Line int
}

// Page is an exercise, or the teacher's section.
type Page struct {
	// File is its name in the guide's directory (03-rule-b.md).
	File string
	// Title is its first heading.
	Title  string
	Blocks []Block
}

// pageName is an exercise's file (NN-name.md) or the teacher's.
var pageName = regexp.MustCompile(`^([0-9]{2}-[a-z0-9-]+|teacher)\.md$`)

// Read reads every exercise and the teacher's section in dir, exercises
// in their order and the teacher's last. A page without a title, an
// unclosed fence, or a runnable block left empty is an error.
func Read(dir string) ([]Page, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lab guide: %w", err)
	}
	var names []string
	for _, e := range entries {
		if pageName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		switch {
		case a == "teacher.md":
			return 1
		case b == "teacher.md":
			return -1
		}
		return strings.Compare(a, b)
	})
	var pages []Page
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("lab guide: %w", err)
		}
		p, err := Parse(n, b)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	return pages, nil
}

// Parse reads one page.
func Parse(name string, b []byte) (Page, error) {
	p := Page{File: name}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var cur *Block
	var fence string
	var body strings.Builder
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if cur == nil && fence == "" {
			if p.Title == "" && strings.HasPrefix(text, "# ") {
				p.Title = strings.TrimSpace(strings.TrimPrefix(text, "# "))
			}
			if strings.HasPrefix(text, "```") {
				fence = "```"
				switch strings.TrimSpace(strings.TrimPrefix(text, "```")) {
				case "sh":
					cur = &Block{Where: VM, Line: line}
				case "sh host":
					cur = &Block{Where: Host, Line: line}
				}
				body.Reset()
			}
			continue
		}
		if strings.TrimSpace(text) == fence {
			if cur != nil {
				cur.Script = body.String()
				if strings.TrimSpace(cur.Script) == "" {
					return p, fmt.Errorf("lab guide %s:%d: an empty block", name, cur.Line)
				}
				p.Blocks = append(p.Blocks, *cur)
			}
			cur, fence = nil, ""
			continue
		}
		if cur != nil {
			body.WriteString(text)
			body.WriteByte('\n')
		}
	}
	if fence != "" {
		return p, fmt.Errorf("lab guide %s: a block is not closed", name)
	}
	if p.Title == "" {
		return p, fmt.Errorf("lab guide %s: no title", name)
	}
	return p, nil
}

// Segments groups a page's blocks into runs: consecutive blocks that run
// in the same place join into one script, so that a variable a block
// sets (the pid of a process it started) reaches the blocks after it.
func (p Page) Segments() []Block {
	var out []Block
	for _, b := range p.Blocks {
		if n := len(out); n > 0 && out[n-1].Where == b.Where {
			out[n-1].Script += b.Script
			continue
		}
		out = append(out, b)
	}
	return out
}
