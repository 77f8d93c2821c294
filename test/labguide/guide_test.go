package labguide

import (
	"strings"
	"testing"
)

const page = "# 9. A page\n\nText.\n\n```sh\necho one\nx=1\n```\n\n```\nnot run\n```\n\n```sh\necho \"$x\"\n```\n\n```sh host\nls\n```\n\n```console\n$ no\n```\n"

func TestParse(t *testing.T) {
	p, err := Parse("09-a-page.md", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "9. A page" || len(p.Blocks) != 3 || p.Blocks[0].Where != VM || p.Blocks[2].Where != Host ||
		p.Blocks[0].Script != "echo one\nx=1\n" || p.Blocks[1].Line != 14 {
		t.Fatalf("%+v", p)
	}
	seg := p.Segments()
	if len(seg) != 2 || seg[0].Script != "echo one\nx=1\necho \"$x\"\n" || seg[1].Script != "ls\n" {
		t.Errorf("segments %+v", seg)
	}
	for _, bad := range []string{"no title\n", "# T\n```sh\necho\n", "# T\n```sh\n\n```\n"} {
		if _, err := Parse("x.md", []byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The guide in the repository reads: seven exercises in order, then
// the teacher's section, each with commands to run.
func TestTheGuide(t *testing.T) {
	pages, err := Read("../../docs/lab")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range pages {
		files = append(files, p.File)
		if len(p.Blocks) == 0 {
			t.Errorf("%s has no commands to run", p.File)
		}
	}
	if len(pages) != 8 || !strings.HasPrefix(files[0], "01-") || files[7] != "teacher.md" {
		t.Errorf("pages %v", files)
	}
}
