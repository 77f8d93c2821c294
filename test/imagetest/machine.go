package imagetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/test/vm"
)

// Guest ports the lab forwards.
const (
	GuestAPI        = 9070
	GuestPrometheus = 9090
	GuestSSH        = 22
)

// Config describes one boot of a disk image.
type Config struct {
	// Disk is the qcow2 the guest boots from (written to).
	Disk string
	// Console is the file the serial console is written to.
	Console string
	// MemoryMB and CPUs size the guest; defaults 3072 and 2.
	MemoryMB, CPUs int
	// QEMU is the binary; default qemu-system-x86_64.
	QEMU string
}

// Machine is one running qemu. Its methods are safe for concurrent use
// once Start has returned.
type Machine struct {
	// Ports are the host ports on 127.0.0.1, by guest port.
	Ports   map[int]int
	Console string
	Started time.Time
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Args returns qemu's arguments for cfg with the given forwards (guest
// port → host port): TCG with one thread for all vCPUs (with a thread
// per vCPU, a stale translation of kernel text another vCPU patched
// oopses the guest), user-mode networking restricted to the forwards on
// 127.0.0.1, the serial console to a file.
func Args(cfg Config, ports map[int]int) []string {
	if cfg.MemoryMB == 0 {
		cfg.MemoryMB = 3072
	}
	if cfg.CPUs == 0 {
		cfg.CPUs = 2
	}
	nic := []string{"user", "model=virtio-net-pci", "restrict=on"}
	for _, g := range []int{GuestAPI, GuestPrometheus, GuestSSH} {
		if h, ok := ports[g]; ok {
			nic = append(nic, fmt.Sprintf("hostfwd=tcp:127.0.0.1:%d-:%d", h, g))
		}
	}
	return []string{
		"-accel", "tcg,thread=single",
		"-m", strconv.Itoa(cfg.MemoryMB), "-smp", strconv.Itoa(cfg.CPUs),
		"-drive", "file=" + cfg.Disk + ",format=qcow2,if=virtio",
		"-nic", strings.Join(nic, ","),
		"-display", "none", "-no-reboot",
		"-serial", "file:" + cfg.Console,
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start boots cfg.Disk. The machine runs until it powers off, Kill is
// called, or ctx ends.
func Start(ctx context.Context, cfg Config) (*Machine, error) {
	ports := map[int]int{}
	for _, g := range []int{GuestAPI, GuestPrometheus, GuestSSH} {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[g] = p
	}
	qemu := cfg.QEMU
	if qemu == "" {
		qemu = "qemu-system-x86_64"
	}
	if _, err := os.Stat(cfg.Disk); err != nil {
		return nil, fmt.Errorf("start machine: %w", err)
	}
	cmd := exec.CommandContext(ctx, qemu, Args(cfg, ports)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	m := &Machine{Ports: ports, Console: cfg.Console, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	m.Started = time.Now()
	go func() {
		err := cmd.Wait()
		if err != nil && stderr.Len() > 0 {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
		}
		m.waitErr = err
		close(m.done)
	}()
	return m, nil
}

// Addr is 127.0.0.1 and the host port forwarded to guest port g.
func (m *Machine) Addr(g int) string { return "127.0.0.1:" + strconv.Itoa(m.Ports[g]) }

// Running reports whether qemu has not exited.
func (m *Machine) Running() bool {
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// Wait waits up to timeout for qemu to exit, and returns its error.
func (m *Machine) Wait(timeout time.Duration) error {
	select {
	case <-m.done:
		return m.waitErr
	case <-time.After(timeout):
		return errors.New("qemu still running")
	}
}

// Kill ends qemu at once (its process group), and waits for it.
func (m *Machine) Kill() {
	if m.Running() {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		_ = m.Wait(10 * time.Second)
	}
}

// ConsoleProblems returns the kernel problem lines (BUG, WARNING, Oops,
// lockups, ...; vm.IsProblem) the console shows so far.
func (m *Machine) ConsoleProblems() ([]string, error) {
	b, err := os.ReadFile(m.Console)
	if err != nil {
		return nil, fmt.Errorf("read console: %w", err)
	}
	return vm.ScanProblems(string(b)), nil
}

// ConsoleTail returns the last n lines of the console, cleaned of
// terminal escapes.
func (m *Machine) ConsoleTail(n int) string {
	b, err := os.ReadFile(m.Console)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	for i, l := range lines {
		lines[i] = vm.Sanitize(l)
	}
	return strings.Join(lines, "\n")
}
