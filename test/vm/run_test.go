package vm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireVM returns the kernels to boot, or skips (fails on CI) when qemu,
// busybox-static or the kernels are missing.
func requireVM(t *testing.T) []Kernel {
	t.Helper()
	if testing.Short() {
		skipOrFail(t, "boots qemu; not in -short mode")
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		skipOrFail(t, "need qemu (apt-get install qemu-system-x86): %v", err)
	}
	requireBusybox(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	ks, err := Kernels(ctx, KernelOptions{})
	if err != nil {
		skipOrFail(t, "need test kernels: %v", err)
	}
	return ks
}

// buildGuestProgram builds a static Go program for the guest.
func buildGuestProgram(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// boot builds an initramfs from files and init and runs it on k.
func boot(t *testing.T, k Kernel, files []File, init InitOptions) *Result {
	t.Helper()
	initrd := filepath.Join(t.TempDir(), "initrd.gz")
	if err := BuildInitramfsFile(initrd, files, init); err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), Config{Kernel: k, Initramfs: initrd, Timeout: 2 * time.Minute, Console: LogWriter(t.Logf)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%s booted in %v", k.Release, res.Duration.Round(time.Millisecond))
	return res
}

// TestRunExitCodeAndRecords boots every kernel once with a clean command
// that prints records and exits 3.
func TestRunExitCodeAndRecords(t *testing.T) {
	ks := requireVM(t)
	emitter := buildGuestProgram(t, "./testdata/emitter")
	files := []File{{Path: "/usr/local/bin/emitter", Src: emitter, Mode: 0o755}}
	script := `echo hi
echo 'KWTEST-RECORD x {"a":1}'
/usr/local/bin/emitter one two
echo "KWTEST-RECORD cgroup \"$(cat /sys/fs/cgroup/cgroup.controllers)\""
echo "KWTEST-RECORD env \"$KW_GREETING\""
exit 3`
	for _, k := range ks {
		t.Run(k.Release, func(t *testing.T) {
			res := boot(t, k, files, InitOptions{
				Command:      []string{"/bin/sh", "-c", script},
				Env:          []string{"KW_GREETING=hello there"},
				MountCgroup2: true,
			})
			if res.ExitCode != 3 || !res.SawExit {
				t.Errorf("ExitCode = %d (seen %v), want 3", res.ExitCode, res.SawExit)
			}
			if len(res.Problems) != 0 || len(res.Malformed) != 0 || len(res.SetupFailures) != 0 || res.TimedOut {
				t.Errorf("unclean run: problems %q, malformed %q, setup %q, timed out %v",
					res.Problems, res.Malformed, res.SetupFailures, res.TimedOut)
			}
			if !strings.Contains(res.Console, "\nhi\n") {
				t.Error("console lacks the command's output")
			}
			var x struct{ A int }
			if err := res.DecodeRecord("x", &x); err != nil || x.A != 1 {
				t.Errorf("record x = %+v, %v", x, err)
			}
			var em struct {
				Args []string
				GOOS string
			}
			if err := res.DecodeRecord("emitter", &em); err != nil || strings.Join(em.Args, ",") != "one,two" || em.GOOS != "linux" {
				t.Errorf("record emitter = %+v, %v", em, err)
			}
			var env, cg string
			if err := res.DecodeRecord("env", &env); err != nil || env != "hello there" {
				t.Errorf("record env = %q, %v", env, err)
			}
			if err := res.DecodeRecord("cgroup", &cg); err != nil || !strings.Contains(cg, "memory") {
				t.Errorf("record cgroup (cgroup2 controllers) = %q, %v", cg, err)
			}
			names := make([]string, len(res.Records))
			for i, r := range res.Records {
				names[i] = r.Name
			}
			if got := strings.Join(names, ","); got != "x,emitter,cgroup,env" {
				t.Errorf("record order = %s", got)
			}
			err := res.Err()
			if err == nil || !strings.Contains(err.Error(), "command exited 3") {
				t.Errorf("Err() = %v, want command exited 3", err)
			}
		})
	}
}

// TestRunDetectsKernelWarning plants a WARNING in the kernel log of the
// first kernel.
func TestRunDetectsKernelWarning(t *testing.T) {
	k := requireVM(t)[0]
	res := boot(t, k, nil, InitOptions{Command: []string{"/bin/sh", "-c",
		`echo "<4>WARNING: test planted" > /dev/kmsg; echo 'KWTEST-RECORD bad {"a":'; exit 0`}})
	if res.ExitCode != 0 {
		t.Errorf("ExitCode = %d, want 0", res.ExitCode)
	}
	if len(res.Problems) == 0 || !strings.Contains(res.Problems[0], "WARNING: test planted") {
		t.Errorf("Problems = %q, want the planted warning", res.Problems)
	}
	if len(res.Malformed) != 1 {
		t.Errorf("Malformed = %q, want the bad record", res.Malformed)
	}
	err := res.Err()
	if err == nil || !strings.Contains(err.Error(), "test planted") || !strings.Contains(err.Error(), "last console lines") {
		t.Errorf("Err() = %v, want one naming the planted warning", err)
	}
}

// TestRunModuleFailure boots the last kernel with a module that does not
// exist: /init reports the insmod failure and does not run the command.
func TestRunModuleFailure(t *testing.T) {
	ks := requireVM(t)
	k := ks[len(ks)-1]
	res := boot(t, k, []File{{Path: "/lib/modules/bogus.ko", Data: []byte("not an ELF")}},
		InitOptions{Modules: []string{"/lib/modules/bogus.ko"}, Command: []string{"/bin/sh", "-c", "echo SHOULD-NOT-RUN"}})
	if len(res.Modules) != 1 || res.Modules[0].Path != "/lib/modules/bogus.ko" || res.Modules[0].Status == 0 {
		t.Errorf("Modules = %+v, want one failed load", res.Modules)
	}
	if res.SawExit || res.ExitCode != -1 || res.Aborted == "" || strings.Contains(res.Console, "SHOULD-NOT-RUN\n") {
		t.Errorf("command ran: exit %d (seen %v), aborted %q", res.ExitCode, res.SawExit, res.Aborted)
	}
	err := res.Err()
	if err == nil || !strings.Contains(err.Error(), "insmod /lib/modules/bogus.ko exited") {
		t.Errorf("Err() = %v, want the insmod failure", err)
	}
}

// TestRunTimeoutAndCancel stops two boots early, once through
// Config.Timeout and once through the context, and checks that qemu is
// gone afterwards.
func TestRunTimeoutAndCancel(t *testing.T) {
	ks := requireVM(t)
	initrd := filepath.Join(t.TempDir(), "initrd.gz")
	if err := BuildInitramfsFile(initrd, nil, InitOptions{Command: []string{"/bin/sleep", "600"}}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Kernel: ks[len(ks)-1], Initramfs: initrd, Timeout: 2 * time.Second}

	res, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Run with Timeout: %v", err)
	}
	if !res.TimedOut || res.Duration > 10*time.Second {
		t.Errorf("TimedOut = %v after %v, want true after about 2s", res.TimedOut, res.Duration)
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("Err() = %v, want timed out", err)
	}
	requireNoQEMU(t, initrd)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	cfg.Timeout = 0
	res, err = Run(ctx, cfg)
	if !errors.Is(err, context.DeadlineExceeded) || res == nil || res.TimedOut {
		t.Errorf("Run with ending context = %+v, %v; want partial result and DeadlineExceeded", res, err)
	}
	requireNoQEMU(t, initrd)
}

// requireNoQEMU fails if a process still has initrd on its command line.
func requireNoQEMU(t *testing.T, initrd string) {
	t.Helper()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), initrd) {
			t.Errorf("process %s still runs: %q", filepath.Dir(p), strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}
