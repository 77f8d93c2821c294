package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
)

const (
	taskfarm   = "/bin/taskfarm"
	modulePath = "/kwarden.ko"
	procRoot   = kmodfmt.DefaultRoot
)

// readRaw reads a whole module file with reads of the given size.
func readRaw(name string, chunk int) ([]byte, error) {
	f, err := os.Open(procRoot + "/" + name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out bytes.Buffer
	buf := make([]byte, chunk)
	for {
		n, err := f.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readProcesses reads and parses the process view, checking the raw bytes
// with encoding/json as a second, independent JSON validator.
func readProcesses() (*snapshot.Processes, []byte, error) {
	raw, err := readRaw("processes", 1<<20)
	if err != nil {
		return nil, nil, err
	}
	p, err := parseChecked(raw)
	return p, raw, err
}

// group is a set of helper processes started together; Stop kills them all.
type group struct {
	cmds []*exec.Cmd
}

// start runs taskfarm with argv (argv[0] is the name it sees) and
// waits for its "ready" line. The helper gets its own process group so
// that its children die with it.
func (g *group) start(ctx context.Context, argv ...string) (pid int, out []string, err error) {
	cmd := exec.CommandContext(ctx, taskfarm)
	cmd.Args = argv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return 0, nil, fmt.Errorf("start %q: %w", argv, err)
	}
	g.cmds = append(g.cmds, cmd)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out = append(out, line)
		if strings.HasPrefix(line, "ready ") {
			go func() { _, _ = bufio.NewReader(stdout).WriteTo(os.Stdout) }()
			return cmd.Process.Pid, out, nil
		}
	}
	return 0, out, fmt.Errorf("%q exited before it was ready: %v", argv, cmd.Wait())
}

// abandon forgets the group without killing it: its processes live until
// the VM powers off. Scenarios with thousands of processes end this way,
// because a simultaneous SIGKILL of all of them makes them runnable at
// once and, under TCG, starves the kernel's RCU kthread for over a minute.
func (g *group) abandon() { g.cmds = nil }

func (g *group) stop() {
	for _, c := range g.cmds {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		_ = c.Wait()
	}
	g.cmds = nil
}

// meminfo returns /proc/meminfo in bytes.
func meminfo() (map[string]uint64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return nil, err
	}
	m := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		m[k] = n
	}
	return m, nil
}

// kernelUsed is the memory the kernel holds for itself: everything that
// is neither free, page cache nor user anonymous memory. It covers slab,
// pages from the page allocator (where kmalloc sends allocations above
// 8 KiB), vmalloc, page tables and kernel stacks, so an allocation
// counts wherever it comes from.
func kernelUsed() (int64, error) {
	m, err := meminfo()
	if err != nil {
		return 0, err
	}
	return int64(m["MemTotal"]) - int64(m["MemFree"]) - int64(m["Buffers"]) -
		int64(m["Cached"]) - int64(m["AnonPages"]), nil
}

// settle lets deferred frees (RCU callbacks, delayed fput) run before a
// memory measurement.
func settle() {
	for i := 0; i < 3; i++ {
		_ = os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0)
		time.Sleep(200 * time.Millisecond)
	}
}

// jsonText maps raw bytes to what a JSON string can hold, the way the
// module and Go's decoder both do: every byte that does not start a valid
// UTF-8 sequence becomes U+FFFD.
func jsonText(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && n <= 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		b.WriteString(raw[i : i+n])
		i += n
	}
	return b.String()
}

func runCmd(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w: %s", name, args, err, out)
	}
	return nil
}

func byPID(ps *snapshot.Processes) map[int32]*snapshot.Process {
	m := make(map[int32]*snapshot.Process, len(ps.Processes))
	for i := range ps.Processes {
		m[ps.Processes[i].PID] = &ps.Processes[i]
	}
	return m
}

// parseChecked validates raw with encoding/json and then parses it.
func parseChecked(raw []byte) (*snapshot.Processes, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("encoding/json says invalid JSON (%d bytes)", len(raw))
	}
	return kmodfmt.ParseProcesses(raw)
}

// parseAny parses any module file by name.
func parseAny(name string, raw []byte) (any, error) {
	switch name {
	case "processes":
		return parseChecked(raw)
	case "containers":
		return kmodfmt.ParseContainers(raw)
	case "system":
		return kmodfmt.ParseSystem(raw)
	case "version":
		return kmodfmt.ParseVersion(raw)
	}
	return nil, fmt.Errorf("unknown file %q", name)
}
