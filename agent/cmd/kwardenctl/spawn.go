package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// spawnProgram is the workload generator kwardenctl spawn runs: it talks
// to Docker, which kwardenctl, a client of the agent's API alone, does
// not link.
const spawnProgram = "kwarden-spawn"

// spawn runs one round of the course's workload generator: kwarden-spawn
// with the same arguments (-profile A|B|C, -docker-host) and -o. It is
// looked for next to kwardenctl, then on PATH.
func (c *cli) spawn(ctx context.Context, args []string) error {
	bin, err := findSpawn()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-o", c.output}, args...)...)
	cmd.Stdout, cmd.Stderr = c.out, c.stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s: %s", spawnProgram, ee.ProcessState)
		}
		return fmt.Errorf("run %s: %w", spawnProgram, err)
	}
	return nil
}

func findSpawn() (string, error) {
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), spawnProgram); isExecutable(p) {
			return p, nil
		}
	}
	p, err := exec.LookPath(spawnProgram)
	if err != nil {
		return "", fmt.Errorf("%s not found next to kwardenctl or on PATH (make build puts both in bin/): %w", spawnProgram, err)
	}
	return p, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
