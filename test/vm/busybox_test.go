package vm

import (
	"errors"
	"os/exec"
	"slices"
	"testing"
)

func TestCheckStaticELF(t *testing.T) {
	requireBusybox(t)

	dyn, err := exec.LookPath("ls")
	if err != nil {
		skipOrFail(t, "no ls to use as a dynamic binary")
	}
	if err := checkStaticELF(dyn); !errors.Is(err, ErrBusyboxNotStatic) {
		t.Errorf("checkStaticELF(%s) = %v, want ErrBusyboxNotStatic", dyn, err)
	}
	if err := checkStaticELF("/nonexistent/busybox"); err == nil {
		t.Error("checkStaticELF(missing) succeeded")
	}
}

func TestParseAppletList(t *testing.T) {
	got := parseAppletList([]byte("linuxrc\nbin/sh\nsbin/insmod\nusr/bin/env\nusr/sbin/chroot\netc/weird\n\n"))
	want := []string{"bin/sh", "sbin/insmod", "usr/bin/env", "usr/sbin/chroot"}
	if !slices.Equal(got, want) {
		t.Errorf("parseAppletList = %q, want %q", got, want)
	}
}

func TestBusyboxApplets(t *testing.T) {
	bb := requireBusybox(t)
	applets, err := busyboxApplets(t.Context(), bb)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bin/sh", "bin/mount", "bin/mkdir", "bin/cat", "bin/echo", "sbin/insmod", "sbin/rmmod", "sbin/lsmod", "bin/sleep", "bin/ls", "sbin/poweroff"} {
		if !slices.Contains(applets, want) {
			t.Errorf("applets lack %s", want)
		}
	}
}
