package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
)

// kwardend is the daemon peerbench starts: eBPF view, 1 s interval, a
// history in a temporary directory, the same Docker engine as the peer.
type kwardend struct {
	cmd  *exec.Cmd
	dir  string
	base string // http://127.0.0.1:<port>
	api  *client.Client
	done chan error
}

// startKwardend starts bin and waits until its health reports tick ≥ 3
// (loaded, the Docker view built, a few samples taken).
func startKwardend(ctx context.Context, bin, dockerHost string) (*kwardend, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "peerbench-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "kwardend.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	k := &kwardend{dir: dir, base: "http://" + addr, done: make(chan error, 1)}
	if k.api, err = client.New(client.Options{Addr: k.base, Timeout: 5 * time.Second}); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	k.cmd = exec.Command(bin, "-listen", addr, "-sources", "ebpf", "-interval", "1s",
		"-db", filepath.Join(dir, "history.db"), "-docker-host", dockerHost)
	k.cmd.Stdout, k.cmd.Stderr = logf, logf
	if err := k.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start kwardend: %w", err)
	}
	go func() { k.done <- k.cmd.Wait() }()
	if err := k.waitTicks(ctx, 3, 90*time.Second); err != nil {
		err = fmt.Errorf("%w\n%s", err, k.logTail(20))
		k.stop()
		return nil, err
	}
	return k, nil
}

// freePort asks the kernel for a free loopback port (kwardend does not
// print the port it got from :0).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (k *kwardend) pid() int { return k.cmd.Process.Pid }

func (k *kwardend) health(ctx context.Context) (apiv1.Health, error) {
	h, err := k.api.Health(ctx)
	if err != nil {
		return h, fmt.Errorf("kwardend health: %w", err)
	}
	return h, nil
}

func (k *kwardend) waitTicks(ctx context.Context, ticks uint64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-k.done:
			k.done <- err
			return fmt.Errorf("kwardend exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		h, err := k.health(ctx)
		if err != nil {
			last = err
			continue
		}
		if h.Tick >= ticks {
			return nil
		}
		last = fmt.Errorf("tick %d, status %s", h.Tick, h.Status)
	}
	return fmt.Errorf("kwardend not at tick %d after %v: %v", ticks, limit, last)
}

// tickTime returns the time of the tick whose figures /metrics showed
// (its kwarden_tick gauge), from the health answer before or after the
// scrape, whichever names that tick; zero when neither does.
func tickTime(tick float64, before, after apiv1.Health) time.Time {
	for _, h := range []apiv1.Health{before, after} {
		if float64(h.Tick) == tick && !h.Time.IsZero() {
			return h.Time
		}
	}
	return time.Time{}
}

func (k *kwardend) logTail(n int) string {
	b, err := os.ReadFile(filepath.Join(k.dir, "kwardend.log"))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// stop ends kwardend (SIGTERM, SIGKILL after 20 s) and removes its
// directory.
func (k *kwardend) stop() error {
	defer os.RemoveAll(k.dir)
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-k.done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return err
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.done
		return fmt.Errorf("kwardend did not stop within 20 s of SIGTERM: killed")
	}
}
