package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Run boots cfg.Kernel with cfg.Initramfs under qemu (TCG, no KVM) and
// blocks until the guest powers off, ctx ends, or cfg.Timeout passes; in
// the last two cases the whole qemu process group is killed.
//
// Guest outcomes, including a timeout (Result.TimedOut), are reported in
// the Result; check them with Result.Err. Run returns an error, together
// with the partial Result when there is one, if the configuration is
// invalid, qemu cannot be started or fails on its own, or ctx ends (the
// error then wraps ctx.Err()). Run is safe for concurrent use; each call
// starts its own qemu.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	args, err := cfg.qemuArgs()
	if err != nil {
		return nil, fmt.Errorf("configure qemu: %w", err)
	}
	qemu, err := exec.LookPath(cfg.QEMU)
	if err != nil {
		return nil, fmt.Errorf("find qemu: %w", err)
	}

	runCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, qemu, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stderr tailBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	p := newConsoleParser()
	readErr := readLines(stdout, func(raw string) {
		line := p.line(raw)
		if cfg.Console != nil {
			_, _ = io.WriteString(cfg.Console, line+"\n")
		}
	})
	waitErr := cmd.Wait()
	res := p.result()
	res.Duration = time.Since(start)

	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("run qemu: %w", ctx.Err())
	case errors.Is(runCtx.Err(), context.DeadlineExceeded):
		res.TimedOut = true
		return res, nil
	case waitErr != nil:
		return res, fmt.Errorf("run qemu: %w; stderr: %s", waitErr, stderr.String())
	case readErr != nil:
		return res, fmt.Errorf("read console: %w", readErr)
	}
	return res, nil
}

// readLines calls fn for each line read from r, the last one possibly
// unterminated, until EOF.
func readLines(r io.Reader, fn func(string)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			fn(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// tailBuffer keeps the last 8 KiB written to it. It is used from the one
// goroutine exec starts for stderr.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	const max = 8 << 10
	t.b = append(t.b, p...)
	if len(t.b) > max {
		t.b = t.b[len(t.b)-max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }
