package imagetest

import (
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	args := strings.Join(Args(Config{Disk: "/d.qcow2", Console: "/c.log"}, map[int]int{GuestAPI: 40001, GuestSSH: 40002}), " ")
	for _, want := range []string{
		"-accel tcg,thread=single", "-m 3072", "-smp 2", "file=/d.qcow2,format=qcow2,if=virtio",
		"restrict=on", "hostfwd=tcp:127.0.0.1:40001-:9070", "hostfwd=tcp:127.0.0.1:40002-:22",
		"-serial file:/c.log", "-no-reboot",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("qemu args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, ":9090") {
		t.Errorf("a forward no one asked for: %s", args)
	}
	if strings.Contains(args, "hostfwd=tcp::") || strings.Contains(args, "0.0.0.0") {
		t.Errorf("a forward beyond 127.0.0.1: %s", args)
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil || p <= 0 || p > 65535 {
		t.Errorf("FreePort = %d, %v", p, err)
	}
}

func TestSSHArgs(t *testing.T) {
	args := SSH{Addr: "127.0.0.1:2222", User: "vagrant", Key: "/k"}.Args("uname -r")
	got := strings.Join(args, " ")
	for _, want := range []string{"-i /k", "-p 2222", "BatchMode=yes", "StrictHostKeyChecking=no", "vagrant@127.0.0.1"} {
		if !strings.Contains(got, want) {
			t.Errorf("ssh args lack %q: %s", want, got)
		}
	}
	if args[len(args)-1] != "uname -r" {
		t.Errorf("command not last: %v", args)
	}
	if strings.Contains(got, "ControlMaster") {
		t.Errorf("a master connection without a ControlDir: %s", got)
	}
	mux := strings.Join(SSH{Addr: "127.0.0.1:2222", User: "vagrant", Key: "/k", ControlDir: "/tmp/c"}.Args("true"), " ")
	if !strings.Contains(mux, "ControlMaster=auto") || !strings.Contains(mux, "ControlPath=/tmp/c/%C") {
		t.Errorf("no master connection with a ControlDir: %s", mux)
	}
}
