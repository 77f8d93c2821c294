package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// buildKwardend builds the real binary into a temporary directory, for
// what only a process shows: signals and resource limits.
func buildKwardend(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	testenv.RequireNoErr(t, err, "the go command, to build kwardend")
	bin := filepath.Join(t.TempDir(), "kwardend")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a kwardend binary started by startBinary.
type process struct {
	cmd    *exec.Cmd
	lines  chan map[string]any // its JSON log, line by line
	exited chan struct{}       // closed when it has exited (cmd.ProcessState is set)
}

// startBinary starts cmd, a kwardend (possibly through a shell), and
// reads its log; the test's cleanup kills it if it still runs.
func startBinary(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan map[string]any, 1000), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"msg": sc.Text()} // "kwardend: <error>" at exit
			}
			select {
			case p.lines <- m:
			default: // nobody waits for that many: drop, never block kwardend
			}
		}
		io.Copy(io.Discard, stderr)
		close(p.lines)
		cmd.Wait() // after the last read, as os/exec requires
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitFor returns the first log line whose msg starts with prefix.
func (p *process) waitFor(t *testing.T, prefix string) map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				t.Fatalf("kwardend ended its log before %q", prefix)
			}
			if msg, _ := m["msg"].(string); strings.HasPrefix(msg, prefix) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q from kwardend within 30 s", prefix)
		}
	}
}

// kwardend logs its file limits and the connection cap derived from
// them. Started with a soft limit of 64 under a hard one of 512, it runs
// with the soft limit raised (by Go's runtime) to the hard one, or one
// below, and caps connections at half of it.
func TestFileLimitsLogged(t *testing.T) {
	bin := buildKwardend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-c", `ulimit -Sn 64 && ulimit -Hn 512 && exec "$0" "$@"`, bin}, quietArgs(t.TempDir())...)
	p := startBinary(t, exec.CommandContext(ctx, "/bin/sh", args...))
	m := p.waitFor(t, "kwardend running")
	soft, _ := m["nofile_soft"].(float64)
	hard, _ := m["nofile_hard"].(float64)
	conns, _ := m["max_connections"].(float64)
	t.Logf("nofile soft %v, hard %v; max_connections %v", soft, hard, conns)
	if hard != 512 || soft < hard-1 || soft > hard {
		t.Errorf("logged nofile_soft %v, nofile_hard %v; want the soft limit raised from 64 to about the hard 512", soft, hard)
	}
	if want := float64(int(soft) / 2); conns != want {
		t.Errorf("logged max_connections %v, want half the soft limit, %v", conns, want)
	}
}

// A second SIGTERM ends kwardend at once while the first one's graceful
// stop is still waiting. The stop is made to wait: a client sends a
// request announcing a body it never sends, so the server keeps reading
// it (read_timeout of 1m) and the shutdown waits for it (1m too). After
// the second signal the process is killed by it (Go's default action
// for SIGTERM once nothing is notified), not ended with a status.
func TestSecondSignalExits(t *testing.T) {
	bin := buildKwardend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(quietArgs(t.TempDir()), "-shutdown-timeout", "1m", "-read-timeout", "1m")
	p := startBinary(t, exec.CommandContext(ctx, bin, args...))
	addr, _ := p.waitFor(t, "kwardend running")["listen"].(string)
	c, _ := dial(t, addr)
	if _, err := io.WriteString(c, "GET /api/v1/health HTTP/1.1\r\nHost: kwarden\r\nContent-Length: 100\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the server reads the headers and waits for the body

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, "kwardend stopping")
	select {
	case <-p.exited:
		t.Fatalf("kwardend exited (%v) though a request was in flight: the stop did not wait", p.cmd.ProcessState)
	case <-time.After(time.Second):
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("kwardend still running 15 s after a second SIGTERM")
	}
	ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("kwardend ended with %v, want killed by SIGTERM", p.cmd.ProcessState)
	}
}
