package grpctest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/test/dockertest"
)

// repoRoot is the kwarden tree this module's replace points at, as an
// absolute path: the rig runs commands in it.
var repoRoot = func() string {
	p, err := filepath.Abs("../..")
	if err != nil {
		panic(err)
	}
	return p
}()

// agentBins are the agent's binaries the rig runs, built from the tree.
type agentBins struct {
	kwardend, spawn, policy string
}

// buildAgent builds kwardend, kwarden-spawn (the course's generator) and
// the rule A policy from the tree into dir.
func buildAgent(ctx context.Context, dir string) (agentBins, error) {
	b := agentBins{kwardend: filepath.Join(dir, "kwardend"), spawn: filepath.Join(dir, "kwarden-spawn"),
		policy: filepath.Join(dir, "kwarden-policy-newest-per-kind")}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", "./agent/cmd/kwardend", "./agent/cmd/kwarden-spawn",
		"./agent/cmd/kwarden-policy-newest-per-kind")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return b, fmt.Errorf("build the agent: %v\n%s", err, out)
	}
	return b, nil
}

// testToken is the agents' token (at least 16 bytes, no spaces).
const testToken = "grpctest-token-0123456789abcdef"

// kwardend is one real agent, a process of the built binary.
type kwardend struct {
	name   string
	addr   string // 127.0.0.1:port, the same across restarts
	dir    string
	bins   agentBins
	engine *dockertest.Daemon
	args   []string // sources, Docker, policy
	cmd    *exec.Cmd
	done   chan struct{}
	c      *client.Client
}

// startAgent lays out the agent's directory (history, token file, a
// policy directory with rule A's plugin and its catalogue) and starts
// it on a free port of loopback, watching engine's containers with the
// eBPF view at a 1 s tick.
func startAgent(t testing.TB, name string, bins agentBins, engine *dockertest.Daemon) *kwardend {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	policies := filepath.Join(dir, "policies")
	if err := os.Mkdir(policies, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bins.policy)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(policies, filepath.Base(bins.policy)), b, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	cat, _ := json.Marshal(map[string]any{"policies": []map[string]string{{"name": "newest-per-kind", "sha256": hex.EncodeToString(sum[:])}}})
	if err := os.WriteFile(filepath.Join(policies, "catalogue.json"), cat, 0o644); err != nil {
		t.Fatal(err)
	}
	k := &kwardend{name: name, addr: freeAddr(t), dir: dir, bins: bins, engine: engine,
		args: []string{"-sources", "ebpf", "-docker-host", engine.Host,
			"-policy-dir", filepath.Join(dir, "policies"), "-policy", "newest-per-kind"}}
	if k.c, err = newClient(k.addr); err != nil {
		t.Fatal(err)
	}
	k.start(t)
	t.Cleanup(k.stop)
	return k
}

// freeAddr is a loopback address nothing listens on: the agent's, kept
// across its restarts.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// newClient is the test's own client of an agent, to check the plugin's
// frames against.
func newClient(addr string) (*client.Client, error) {
	return client.New(client.Options{Addr: "http://" + addr, Token: testToken, Timeout: 10 * time.Second})
}

// url is the agent's base URL.
func (k *kwardend) url() string { return "http://" + k.addr }

// start runs the binary and waits until the agent has ticked.
func (k *kwardend) start(t testing.TB) {
	t.Helper()
	k.cmd = exec.Command(k.bins.kwardend, append([]string{"-listen", k.addr, "-interval", "1s",
		"-db", filepath.Join(k.dir, "history.db"), "-token-file", filepath.Join(k.dir, "token")}, k.args...)...)
	log, err := os.OpenFile(filepath.Join(k.dir, "kwardend.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	k.cmd.Stdout, k.cmd.Stderr = log, log
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start kwardend %s: %v", k.name, err)
	}
	log.Close()
	k.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(k.cmd, k.done)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		h, err := k.c.Health(ctx)
		cancel()
		if err == nil && h.Tick > 1 {
			return
		}
		select {
		case <-k.done:
			t.Fatalf("kwardend %s exited at start:\n%s", k.name, k.logTail())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("kwardend %s did not tick within 60 s:\n%s", k.name, k.logTail())
}

// stop ends the agent with SIGTERM, as systemd would, and waits.
func (k *kwardend) stop() {
	if k.cmd == nil || k.cmd.Process == nil {
		return
	}
	select {
	case <-k.done:
		return
	default:
	}
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(30 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.done
	}
}

func (k *kwardend) logTail() string {
	b, _ := os.ReadFile(filepath.Join(k.dir, "kwardend.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// spawn runs one round of the course's generator (profile C: five
// containers of the kinds cpu, ram and low) on the agent's engine and
// returns the names it started.
func (k *kwardend) spawn(t testing.TB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, k.bins.spawn, "-profile", "C", "-docker-host", k.engine.Host, "-o", "json").Output()
	if err != nil {
		t.Fatalf("kwarden-spawn on %s: %v", k.name, err)
	}
	var started []struct{ Name string } // spawn.Started, in JSON
	if err := json.Unmarshal(out, &started); err != nil {
		t.Fatalf("kwarden-spawn's output: %v\n%s", err, out)
	}
	var names []string
	for _, s := range started {
		names = append(names, s.Name)
	}
	return names
}
