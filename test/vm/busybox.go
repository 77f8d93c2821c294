package vm

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"strings"
	"time"
)

// DefaultBusybox is where Debian's busybox-static package installs its
// binary.
const DefaultBusybox = "/bin/busybox"

// ErrBusyboxNotStatic is returned (wrapped) by BuildInitramfs when the
// busybox binary is dynamically linked, for example because Debian's
// "busybox" package is installed instead of "busybox-static".
var ErrBusyboxNotStatic = errors.New("busybox is dynamically linked; install Debian's busybox-static package")

// checkStaticELF verifies that file is an x86-64 ELF executable without a
// program interpreter or shared-library dependencies.
func checkStaticELF(file string) error {
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("check static binary %s: %w (install Debian's busybox-static package)", file, err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("check static binary %s: machine %v, want x86-64", file, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("check static binary %s: %w", file, ErrBusyboxNotStatic)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("check static binary %s: needs %s: %w", file, strings.Join(libs, ", "), ErrBusyboxNotStatic)
	}
	return nil
}

// busyboxApplets asks the busybox binary for its applets and returns their
// install paths relative to the root, e.g. "bin/sh", "usr/bin/env". Only
// applets under bin, sbin, usr/bin and usr/sbin are returned.
func busyboxApplets(ctx context.Context, busybox string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("list busybox applets: %w", err)
	}
	return parseAppletList(out), nil
}

func parseAppletList(out []byte) []string {
	var applets []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		switch path.Dir(p) {
		case "bin", "sbin", "usr/bin", "usr/sbin":
			applets = append(applets, path.Clean(p))
		}
	}
	return applets
}
