package vm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestQemuArgs(t *testing.T) {
	dir := t.TempDir()
	vmlinuz, initrd := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "initrd")
	for _, p := range []string{vmlinuz, initrd} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := Config{Kernel: Kernel{Vmlinuz: vmlinuz}, Initramfs: initrd, ExtraAppend: []string{"kwarden.debug=1"}}.withDefaults()
	if c.MemoryMB != 1024 || c.CPUs != 2 || c.Timeout != 3*time.Minute {
		t.Errorf("defaults = %+v", c)
	}
	args, err := c.qemuArgs()
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"-accel tcg", "-nographic", "-no-reboot", "-m 1024", "-smp 2", "-kernel " + vmlinuz, "-initrd " + initrd, "-nic none"} {
		if !strings.Contains(joined, want) {
			t.Errorf("args lack %q: %s", want, joined)
		}
	}
	if strings.Contains(joined, "kvm") {
		t.Errorf("args mention kvm: %s", joined)
	}
	i := slices.Index(args, "-append")
	cmdline := args[i+1]
	for _, want := range []string{"console=ttyS0", "panic=-1", "panic_on_warn=1", "oops=panic", "softlockup_panic=1", "rcupdate.rcu_cpu_stall_timeout=", "loglevel=5"} {
		if !strings.Contains(cmdline, want) {
			t.Errorf("cmdline lacks %q: %s", want, cmdline)
		}
	}
	if strings.Contains(cmdline, "quiet") || !strings.HasSuffix(cmdline, " kwarden.debug=1") {
		t.Errorf("cmdline = %q", cmdline)
	}

	c.HostFwd = []string{"8080:80", "2222:22"}
	args, err = c.qemuArgs()
	if err != nil {
		t.Fatal(err)
	}
	if nic := args[slices.Index(args, "-nic")+1]; nic != "user,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp:127.0.0.1:2222-:22" {
		t.Errorf("-nic %s", nic)
	}
}

func TestQemuArgsErrors(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "f")
	if err := os.WriteFile(ok, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Config{
		"no kernel":      {Initramfs: ok},
		"no initramfs":   {Kernel: Kernel{Vmlinuz: ok}},
		"missing kernel": {Kernel: Kernel{Vmlinuz: filepath.Join(dir, "nope")}, Initramfs: ok},
		"tiny memory":    {Kernel: Kernel{Vmlinuz: ok}, Initramfs: ok, MemoryMB: 16},
		"bad append":     {Kernel: Kernel{Vmlinuz: ok}, Initramfs: ok, ExtraAppend: []string{"a\nb"}},
		"bad fwd":        {Kernel: Kernel{Vmlinuz: ok}, Initramfs: ok, HostFwd: []string{"0.0.0.0:80:80"}},
		"bad port":       {Kernel: Kernel{Vmlinuz: ok}, Initramfs: ok, HostFwd: []string{"70000:80"}},
		"no guest port":  {Kernel: Kernel{Vmlinuz: ok}, Initramfs: ok, HostFwd: []string{"8080"}},
	} {
		if _, err := c.withDefaults().qemuArgs(); err == nil {
			t.Errorf("%s: qemuArgs succeeded", name)
		}
	}
	if _, err := Run(t.Context(), Config{Initramfs: ok}); err == nil || !strings.Contains(err.Error(), "configure qemu") {
		t.Errorf("Run with bad config = %v", err)
	}
}
