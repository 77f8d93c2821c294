package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// -h lists the settings on stdout and exits 0, through the real binary;
// an unknown flag still fails with the list on stderr.
func TestHelp(t *testing.T) {
	bin := buildKwardend(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-h")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kwardend -h: %v\nstderr: %s", err, stderr.String())
	}
	for _, want := range []string{"Usage of kwardend:", "-listen", "-retention duration"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("kwardend -h: stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if stderr.Len() > 0 {
		t.Errorf("kwardend -h wrote to stderr: %s", stderr.String())
	}

	stdout.Reset()
	stderr.Reset()
	cmd = exec.Command(bin, "-nope")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("kwardend -nope: %v, want exit status 1", err)
	}
	if !strings.Contains(stderr.String(), "flag provided but not defined: -nope") || !strings.Contains(stderr.String(), "-listen") || stdout.Len() > 0 {
		t.Errorf("kwardend -nope: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}
