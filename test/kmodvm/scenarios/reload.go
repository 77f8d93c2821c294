package main

import (
	"context"
	"fmt"
	"os"

	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

// reload unloads and loads the module repeatedly, reading every file in
// between, and once unloads it while a reader holds a file open half-way.
func reload(ctx context.Context, args []string) error {
	cycles, err := intArg(args, 0, 20)
	if err != nil {
		return err
	}
	rep := &report.Reload{Cycles: cycles}
	fail := func(format string, a ...any) { rep.Failures = append(rep.Failures, fmt.Sprintf(format, a...)) }
	files := []string{"version", "system", "processes", "containers"}
	for i := 0; i < cycles; i++ {
		for _, f := range files {
			raw, err := readRaw(f, 4096)
			if err != nil {
				fail("cycle %d: read %s: %v", i, f, err)
			} else if _, err := parseAny(f, raw); err != nil {
				fail("cycle %d: parse %s: %v", i, f, err)
			}
		}
		if err := runCmd(ctx, "rmmod", "kwarden"); err != nil {
			fail("cycle %d: %v", i, err)
		}
		if _, err := os.Stat(procRoot); err == nil {
			fail("cycle %d: %s still exists after rmmod", i, procRoot)
		}
		if err := runCmd(ctx, "insmod", modulePath); err != nil {
			fail("cycle %d: %v", i, err)
			break
		}
	}

	// Unload under an open file: the next read must fail cleanly (proc
	// reports EIO once the entry is gone) and close must not crash.
	f, err := os.Open(procRoot + "/processes")
	if err != nil {
		return err
	}
	buf := make([]byte, 100)
	if _, err := f.Read(buf); err != nil {
		fail("first read of held file: %v", err)
	}
	if err := runCmd(ctx, "rmmod", "kwarden"); err != nil {
		fail("rmmod with an open file: %v", err)
	}
	if _, err := f.Read(buf); err == nil {
		fail("read after rmmod succeeded")
	} else {
		rep.HeldOpenError = err.Error()
	}
	_ = f.Close()
	if err := runCmd(ctx, "insmod", modulePath); err != nil {
		fail("insmod after held-open unload: %v", err)
	} else if raw, err := readRaw("processes", 4096); err != nil {
		fail("read after final insmod: %v", err)
	} else if _, err := parseChecked(raw); err != nil {
		fail("parse after final insmod: %v", err)
	}
	return record.Emit("reload", rep)
}
