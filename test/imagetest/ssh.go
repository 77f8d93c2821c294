package imagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// InsecureKey returns the path of Vagrant's insecure private key as
// Debian's vagrant package ships it, copied to dir with mode 0600 (ssh
// refuses a key others can read).
func InsecureKey(dir string) (string, error) {
	keys, _ := filepath.Glob("/usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant")
	if len(keys) == 0 {
		return "", errors.New("the insecure key of Debian's vagrant package not found: apt-get install vagrant (make deps)")
	}
	sort.Strings(keys)
	b, err := os.ReadFile(keys[len(keys)-1])
	if err != nil {
		return "", fmt.Errorf("read insecure key: %w", err)
	}
	dst := filepath.Join(dir, "vagrant.key")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		return "", fmt.Errorf("copy insecure key: %w", err)
	}
	return dst, nil
}

// SSH runs commands in a guest as a user, with a key, over a port on
// 127.0.0.1.
type SSH struct {
	Addr string // 127.0.0.1:PORT
	User string
	Key  string
	// ControlDir, when set, holds a master connection that later
	// commands reuse: under TCG each new connection's key exchange
	// costs the guest seconds. Keep its path short (a unix socket).
	ControlDir string
}

// Args returns ssh's arguments for one command: no host key check (a
// new guest each boot), batch mode (a key or nothing), bounded waits.
func (s SSH) Args(command string) []string {
	host, port, _ := strings.Cut(s.Addr, ":")
	args := []string{
		"-i", s.Key, "-p", port,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
		"-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=10",
	}
	if s.ControlDir != "" {
		args = append(args, "-o", "ControlMaster=auto", "-o", "ControlPath="+s.ControlDir+"/%C", "-o", "ControlPersist=60")
	}
	return append(args, s.User+"@"+host, command)
}

// Run runs command in the guest (through the user's shell) and returns
// its standard output; the error holds the exit status and stderr.
func (s SSH) Run(ctx context.Context, timeout time.Duration, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Files, not pipes: a master connection ssh leaves in the
	// background inherits them, and exec would wait for a pipe's end.
	stdout, err := os.CreateTemp("", "kwssh-out-")
	if err != nil {
		return "", fmt.Errorf("ssh: %w", err)
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()
	stderr, err := os.CreateTemp("", "kwssh-err-")
	if err != nil {
		return "", fmt.Errorf("ssh: %w", err)
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd := exec.CommandContext(ctx, "ssh", s.Args(command)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	out, _ := os.ReadFile(stdout.Name())
	if runErr != nil {
		msg, _ := os.ReadFile(stderr.Name())
		return string(out), fmt.Errorf("ssh %s %q: %w: %s", s.User, command, runErr, bytes.TrimSpace(msg))
	}
	return string(out), nil
}

// WaitReady retries a trivial command until SSH answers or ctx ends.
func (s SSH) WaitReady(ctx context.Context) error {
	var last error
	for {
		if _, err := s.Run(ctx, 30*time.Second, "true"); err == nil {
			return nil
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ssh never answered: %w (last: %v)", ctx.Err(), last)
		case <-time.After(3 * time.Second):
		}
	}
}
