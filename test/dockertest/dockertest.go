// Package dockertest starts a real Docker engine for tests: Debian's
// dockerd with its own data root, exec root and socket under a temporary
// directory, no bridge and no iptables rules (containers run with
// --network none), so that tests neither touch the machine's Docker nor
// reach any network.
package dockertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/testenv"
)

// Docker is the CLI of Debian's docker.io, the same version as dockerd.
const Docker = "/usr/bin/docker"

// Daemon is one dockerd started by Start.
type Daemon struct {
	Dir  string // everything of the daemon lives below it
	Host string // unix://…/docker.sock, for DOCKER_HOST and the API client
	sock string
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

// Available reports why no daemon can be started here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("dockerd needs root")
	}
	for _, bin := range []string{"dockerd", "containerd", "runc", Docker} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not installed (apt-get install docker.io): %w", bin, err)
		}
	}
	return nil
}

// Start launches dockerd and waits until it answers on its socket.
func Start(ctx context.Context) (*Daemon, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	// A short path: unix socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "kwd-")
	if err != nil {
		return nil, err
	}
	d := &Daemon{Dir: dir, sock: filepath.Join(dir, "docker.sock")}
	d.Host = "unix://" + d.sock
	if d.log, err = os.Create(filepath.Join(dir, "dockerd.log")); err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(config, []byte("{}\n"), 0o644); err != nil {
		return nil, err
	}
	if err := d.Up(ctx); err != nil {
		d.log.Close()
		unmountBelow(dir)
		os.RemoveAll(dir)
		return nil, err
	}
	return d, nil
}

// Up starts dockerd on the daemon's directory and waits until it answers:
// Start calls it, and so does a test that brings the engine back after
// Down (containers, images and the socket path stay the same).
func (d *Daemon) Up(ctx context.Context) error {
	dir := d.Dir
	d.cmd = exec.Command("dockerd",
		"--config-file", filepath.Join(dir, "daemon.json"), // not the machine's /etc/docker/daemon.json
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"--host", d.Host,
		"--bridge=none", "--iptables=false", "--ip-masq=false", "--userland-proxy=false",
		"--log-level=warn")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	// Its own process group: a test interrupted by ^C does not kill it
	// half-way through its own shutdown. SIGTERM when the test binary
	// dies (go test's timeout panics past TestMain's StopShared): an
	// engine left running holds its mounts and containers until someone
	// notices. (Pdeathsig follows the starting thread; the rig starts
	// dockerd from no goroutine locked to its thread.)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("start dockerd: %w", err)
	}
	d.done = make(chan error, 1)
	cmd := d.cmd
	go func() { d.done <- cmd.Wait() }()
	if err := d.waitReady(ctx, 60*time.Second); err != nil {
		d.Down()
		return err
	}
	return nil
}

// Down stops dockerd (SIGTERM, then SIGKILL after 30 s) and keeps its
// state for Up. Running containers stop with it.
func (d *Daemon) Down() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
	d.cmd = nil
}

func (d *Daemon) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-d.done:
			d.done <- err
			return fmt.Errorf("dockerd exited: %v\n%s", err, d.LogTail(30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if c, err := net.DialTimeout("unix", d.sock, time.Second); err == nil {
			c.Close()
			if _, err := d.Docker(ctx, "version", "--format", "{{.Server.Version}}"); err == nil {
				return nil
			}
		}
	}
	return fmt.Errorf("dockerd not ready after %v\n%s", limit, d.LogTail(30))
}

// Docker runs the docker CLI against this daemon and returns its output.
func (d *Daemon) Docker(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Docker, append([]string{"--host", d.Host}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// LogTail returns the last n lines of dockerd's log.
func (d *Daemon) LogTail(n int) string {
	b, err := os.ReadFile(d.log.Name())
	if err != nil {
		return err.Error()
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Stop removes every container, stops dockerd and removes its
// directory, unmounting whatever it left.
func (d *Daemon) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	if ids, err := d.Docker(ctx, "ps", "-aq"); err == nil && len(bytes.TrimSpace(ids)) > 0 {
		_, _ = d.Docker(ctx, append([]string{"rm", "-f"}, strings.Fields(string(ids))...)...)
	}
	d.Down()
	d.log.Close()
	unmountBelow(d.Dir)
	return os.RemoveAll(d.Dir)
}

// unmountBelow lazily unmounts every mount point under dir, deepest
// first (overlay and shm mounts of a daemon that died uncleanly).
func unmountBelow(dir string) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			points = append(points, f[1])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// BuildLoadImages builds kwarden/load:<kind> into this daemon with
// scripts/images.sh from the repository at root.
func (d *Daemon) BuildLoadImages(ctx context.Context, root string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts/images.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.Host, "DOCKER="+Docker)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("build load images: %w\n%s", err, out)
	}
	return nil
}

// StartWithImages starts a daemon and builds the load images from the
// repository at root into it; on failure nothing is left running.
func StartWithImages(ctx context.Context, root string) (*Daemon, error) {
	d, err := Start(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.BuildLoadImages(ctx, root); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// RunLow starts the containers prefix-<from> … prefix-<to-1> from
// kwarden/load:low (kind low, no network): the fleet benchmarks measure.
func (d *Daemon) RunLow(ctx context.Context, prefix string, from, to int) error {
	for i := from; i < to; i++ {
		if _, err := d.Docker(ctx, "run", "-d", "--network", "none", "--name", fmt.Sprintf("%s-%03d", prefix, i),
			"--label", "kwarden.kind=low", "kwarden/load:low"); err != nil {
			return err
		}
	}
	return nil
}

// shared is the one daemon a test binary's tests share (starting one and
// building the images takes seconds).
var shared struct {
	once sync.Once
	d    *Daemon
	err  error
}

// Shared returns the test binary's daemon with the load images built from
// the repository at root, starting it on first use; call StopShared from
// TestMain. Tests using it must clean up their own containers.
func Shared(ctx context.Context, root string) (*Daemon, error) {
	shared.once.Do(func() { shared.d, shared.err = StartWithImages(ctx, root) })
	return shared.d, shared.err
}

// StopShared stops the shared daemon, if one was started.
func StopShared() {
	if shared.d != nil {
		shared.d.Stop()
	}
}

// ForTest returns the shared daemon for a test, skipping it on a laptop
// without Docker and failing it in CI (testenv's rule). root is the
// repository, whose workload images the daemon gets.
func ForTest(tb testing.TB, root string) *Daemon {
	tb.Helper()
	testenv.RequireNoErr(tb, Available(), "a Docker engine")
	d, err := Shared(context.Background(), root)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
