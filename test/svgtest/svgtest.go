// Package svgtest checks the SVG files kwarden draws (agent/report's
// graphs, kwardend's course-mode report) the way a browser would have
// to read them, for the tests of both.
package svgtest

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// Text fails tb unless b is well-formed XML whose root element is svg,
// and returns its character data (titles, axes, the legend), a line per
// run; name says which file in a failure.
func Text(tb testing.TB, name string, b []byte) string {
	tb.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("%s is not well-formed XML: %v", name, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			text.Write(tok)
			text.WriteByte('\n')
		}
	}
	if root != "svg" {
		tb.Fatalf("%s: root element %q, want svg", name, root)
	}
	return text.String()
}
