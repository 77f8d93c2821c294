package vm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config describes one boot.
type Config struct {
	// Kernel is booted with Kernel.Vmlinuz; required.
	Kernel Kernel
	// Initramfs is the path of an initramfs, see BuildInitramfs; required.
	Initramfs string
	// MemoryMB is the guest memory; default 1024.
	MemoryMB int
	// CPUs is the number of virtual CPUs; default 2.
	CPUs int
	// Timeout bounds the whole boot; default 3 minutes.
	Timeout time.Duration
	// ExtraAppend is added to the end of the kernel command line.
	ExtraAppend []string
	// Console, if set, receives a live copy of the console, one Write per
	// line including its "\n" (see LogWriter). Writes come from one
	// goroutine; Run returns only after the last one.
	Console io.Writer
	// HostFwd forwards host TCP ports to the guest, each "HOSTPORT:GUESTPORT".
	// The host side binds to 127.0.0.1 only, and the guest gets qemu's
	// user-mode network restricted to the forwarded ports. The guest needs
	// a driver for the emulated NIC (e1000 on the default machine). Without
	// HostFwd the guest has no network.
	HostFwd []string
	// QEMU is the qemu binary; default "qemu-system-x86_64" from PATH.
	QEMU string
}

// Defaults applied by Run.
const (
	DefaultMemoryMB = 1024
	DefaultCPUs     = 2
	DefaultTimeout  = 3 * time.Minute
)

// baseCmdline makes every kernel failure loud and fatal: a WARN panics,
// panics power the VM off at once (with -no-reboot), and loglevel=5 keeps
// warnings (level 4) on the console while hiding routine info messages.
var baseCmdline = []string{
	"console=ttyS0",
	"loglevel=5",
	"panic=-1",
	"panic_on_warn=1",
	"oops=panic",
	"softlockup_panic=1",
	"rcupdate.rcu_cpu_stall_timeout=60", // TCG on 2 shared cores is slow
	// TCG's TSC drifts, so the kernel would otherwise mark it unstable
	// after boot and live-patch the sched_clock static key while the
	// other vCPU runs; a stale TCG translation then hits the patch's
	// int3 and oopses (seen once on 6.12). Unstable from the start
	// means no runtime patch.
	"tsc=unstable",
	"rdinit=/init",
}

func (c Config) withDefaults() Config {
	if c.MemoryMB == 0 {
		c.MemoryMB = DefaultMemoryMB
	}
	if c.CPUs == 0 {
		c.CPUs = DefaultCPUs
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.QEMU == "" {
		c.QEMU = "qemu-system-x86_64"
	}
	return c
}

// Cmdline returns the kernel command line Run uses for c.
func (c Config) Cmdline() string {
	return strings.Join(append(append([]string{}, baseCmdline...), c.ExtraAppend...), " ")
}

// qemuArgs returns the qemu arguments for c, which must have defaults
// applied.
func (c Config) qemuArgs() ([]string, error) {
	if c.Kernel.Vmlinuz == "" {
		return nil, errors.New("no kernel image")
	}
	if c.Initramfs == "" {
		return nil, errors.New("no initramfs")
	}
	for _, p := range []string{c.Kernel.Vmlinuz, c.Initramfs} {
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
	}
	if c.MemoryMB < 64 || c.CPUs < 1 || c.Timeout < 0 {
		return nil, fmt.Errorf("bad resources: %d MiB, %d CPUs, timeout %v", c.MemoryMB, c.CPUs, c.Timeout)
	}
	for _, a := range c.ExtraAppend {
		if strings.ContainsAny(a, "\x00\n") {
			return nil, fmt.Errorf("bad kernel argument %q", a)
		}
	}
	nic, err := nicArg(c.HostFwd)
	if err != nil {
		return nil, err
	}
	return []string{
		"-accel", "tcg", // KVM guests hang on this machine
		"-nographic", // serial console multiplexed with the monitor on stdio
		"-no-reboot",
		"-m", strconv.Itoa(c.MemoryMB),
		"-smp", strconv.Itoa(c.CPUs),
		"-kernel", c.Kernel.Vmlinuz,
		"-initrd", c.Initramfs,
		"-append", c.Cmdline(),
		"-nic", nic,
	}, nil
}

// nicArg returns the -nic value: "none", or user-mode networking with the
// given forwards bound to 127.0.0.1.
func nicArg(fwds []string) (string, error) {
	if len(fwds) == 0 {
		return "none", nil
	}
	parts := []string{"user", "restrict=on"}
	for _, f := range fwds {
		h, g, ok := strings.Cut(f, ":")
		if !ok || !validPort(h) || !validPort(g) {
			return "", fmt.Errorf("bad host forward %q, want HOSTPORT:GUESTPORT", f)
		}
		parts = append(parts, fmt.Sprintf("hostfwd=tcp:127.0.0.1:%s-:%s", h, g))
	}
	return strings.Join(parts, ","), nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 65536 && strconv.Itoa(n) == s
}
