package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
)

// kwardend is the daemon the demo started.
type kwardend struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed once it exited and its log is written
	waitErr error         // its exit status, once exited is closed
	url     string
	logPath string
}

// startKwardend starts bin on a free loopback port with its history in
// dir and waits (at most 60 s) until it has ticked with Docker's view in.
// Its JSON log goes to dir/kwardend.log; the address comes from its
// "kwardend running" line.
func startKwardend(ctx context.Context, bin, dockerHost, dir string) (*kwardend, error) {
	k := &kwardend{logPath: filepath.Join(dir, "kwardend.log"), exited: make(chan struct{})}
	logFile, err := os.Create(k.logPath)
	if err != nil {
		return nil, err
	}
	k.cmd = exec.Command(bin, "-listen", "127.0.0.1:0", "-sources", "ebpf", "-interval", "1s",
		"-docker-host", dockerHost, "-db", filepath.Join(dir, "history.db"))
	stderr, err := k.cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := k.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start kwardend: %w", err)
	}
	addr := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logFile, sc.Text())
			var rec struct{ Msg, Listen string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "kwardend running" {
				select {
				case addr <- rec.Listen:
				default:
				}
			}
		}
		_, _ = io.Copy(logFile, stderr)
		k.waitErr = k.cmd.Wait()
		close(k.exited)
	}()

	wait := time.NewTimer(60 * time.Second)
	defer wait.Stop()
	select {
	case a := <-addr:
		k.url = "http://" + a
	case <-k.exited:
		return nil, fmt.Errorf("kwardend exited at start (%v): see %s", k.waitErr, k.logPath)
	case <-wait.C:
		k.stop()
		return nil, fmt.Errorf("kwardend not listening after 60 s: see %s", k.logPath)
	case <-ctx.Done():
		k.stop()
		return nil, ctx.Err()
	}
	for {
		h, err := health(ctx, k.url)
		if err == nil && h.Tick > 0 && h.Docker {
			fmt.Printf("kwardend: %s, tick %d, docker connected\n", h.Status, h.Tick)
			return k, nil
		}
		select {
		case <-k.exited:
			return nil, fmt.Errorf("kwardend exited (%v): see %s", k.waitErr, k.logPath)
		case <-wait.C:
			k.stop()
			return nil, fmt.Errorf("kwardend has not ticked with Docker's view after 60 s (health %+v, %v): see %s", h, err, k.logPath)
		case <-ctx.Done():
			k.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func health(ctx context.Context, url string) (apiv1.Health, error) {
	c, err := client.New(client.Options{Addr: url, Timeout: 5 * time.Second})
	if err != nil {
		return apiv1.Health{}, err
	}
	return c.Health(ctx)
}

// stop ends kwardend: SIGTERM, then SIGKILL after 15 s.
func (k *kwardend) stop() {
	select {
	case <-k.exited:
		return
	default:
	}
	fmt.Println("stopping kwardend")
	_ = k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.exited:
	case <-time.After(15 * time.Second):
		_ = k.cmd.Process.Kill()
		<-k.exited
	}
}
