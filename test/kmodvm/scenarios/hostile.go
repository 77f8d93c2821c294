package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

// hostileNames are set with prctl(PR_SET_NAME); the kernel keeps the first
// 15 bytes, which can split a UTF-8 sequence.
var hostileNames = []string{
	`q"uote`, `back\slash`, "new\nline", "ctl\x01\x1f\x7f", "\xff\xfe bad",
	"é ok", "日本語です", "\xe6\x97", "tab\there", "123456789012345",
	"long-name-that-is-cut-here", "abcdefghijklmn日", "\u2028sep", "}]{\"x\":",
}

// hostileArgs are passed through execve as the command line.
var hostileArgs = []string{
	`"quoted"`, `back\slash\`, "nl\nx", "\x01\x02\x1b[31mred", "\xc0\xaf overlong",
	"\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 too big", "ok ünïcödé", "",
	"emoji 😀", "\xf0\x9f\x98", `\u0000`, "],\"pid\":1}",
}

func hostile(ctx context.Context, _ []string) error {
	var g group
	defer g.stop()
	type want struct {
		comm string
		args []string
	}
	wants := map[int32]want{}
	for i, name := range hostileNames {
		argv := append([]string{"./we\"ird\\" + name}, "name", name)
		argv = append(argv, hostileArgs[i%len(hostileArgs):]...)
		pid, _, err := g.start(ctx, argv...)
		if err != nil {
			return err
		}
		comm := name
		if len(comm) > 15 {
			comm = comm[:15]
		}
		args := make([]string, len(argv))
		for j, a := range argv {
			args[j] = jsonText(a)
		}
		wants[int32(pid)] = want{jsonText(comm), args}
	}
	rep := &report.Hostile{}
	// Read with several buffer sizes: record boundaries fall differently.
	for _, chunk := range []int{1 << 20, 4096, 61, 7} {
		raw, err := readRaw("processes", chunk)
		if err != nil {
			return err
		}
		mod, err := parseChecked(raw)
		if err != nil {
			rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("read with %d-byte chunks: %v", chunk, err))
			continue
		}
		got := byPID(mod)
		for pid, w := range wants {
			rep.Checked++
			p := got[pid]
			switch {
			case p == nil:
				rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("pid %d missing", pid))
			case p.Comm != w.comm:
				rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("pid %d comm %q, want %q", pid, p.Comm, w.comm))
			case !slices.Equal(p.Cmdline, w.args):
				rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("pid %d cmdline %q, want %q", pid, p.Cmdline, w.args))
			}
		}
		// The raw file keeps one record per line even with hostile names.
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
			if line != "]}" && !strings.HasPrefix(strings.TrimPrefix(line, ","), `{"pid":`) {
				rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("line does not start a record: %.80q", line))
				break
			}
		}
	}
	return record.Emit("hostile", rep)
}
