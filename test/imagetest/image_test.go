//go:build imagetest

package imagetest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
	"github.com/kwarden/kwarden/agent/client"
	"github.com/kwarden/kwarden/test/testenv"
	"github.com/kwarden/kwarden/test/vm"
)

var (
	imageFlag = flag.String("image", "", "the lab image to boot (make image)")
	boxFlag   = flag.String("box", "", "the vagrant-libvirt box to check (make box)")
	logsFlag  = flag.String("logs", "", "where the consoles are kept (default: a new temporary directory, kept)")
)

// Bounds of the waits, under TCG on two shared cores.
const (
	bootTimeout   = 8 * time.Minute
	policyTimeout = 6 * time.Minute
	steadyTimeout = 3 * time.Minute
	powerTimeout  = 3 * time.Minute
)

// lab is one boot of a disk: the machine, SSH as vagrant, the API.
type lab struct {
	name    string
	m       *Machine
	ssh     SSH
	api     *client.Client
	healthy time.Duration // from qemu's start to the first health "ok"
}

func TestImage(t *testing.T) {
	testenv.Require(t, *imageFlag != "", "-image names no image (make image-test builds one)")
	for _, tool := range []string{"qemu-system-x86_64", "qemu-img", "ssh"} {
		_, err := exec.LookPath(tool)
		testenv.RequireNoErr(t, err, tool)
	}
	image, err := filepath.Abs(*imageFlag)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(image); err != nil {
		t.Fatalf("image: %v (make image)", err)
	}
	logs := logsDir(t)
	key, err := InsecureKey(logs)
	testenv.RequireNoErr(t, err, "Vagrant's insecure key")
	ctx := context.Background()

	disk := filepath.Join(logs, "lab.qcow2")
	os.Remove(disk)
	if err := Overlay(ctx, image, disk); err != nil {
		t.Fatal(err)
	}

	// The first boot: everything a student sees.
	first := time.Now()
	l := boot(t, ctx, "boot1", disk, logs, key)
	l.checkModule(t, ctx)
	l.checkDocker(t, ctx)
	removed := l.checkGeneratorAndPolicy(t, ctx)
	l.checkCrossCheck(t, ctx)
	l.checkStatus(t, ctx)
	l.checkPrometheus(t, ctx)
	l.measureAgent(t, ctx)
	l.checkUnitsAndKernel(t, ctx)
	l.logGrafana(t, ctx)
	l.checkGrafanaPlugin(t, ctx)
	decided := l.countDecisions(t, ctx, first)
	l.powerOff(t, ctx)
	if t.Failed() {
		t.FailNow()
	}

	// The second boot of the same disk keeps the agent's history.
	l = boot(t, ctx, "boot2", disk, logs, key)
	l.checkHistoryKept(t, ctx, first, removed, decided)
	// The lab guide, page by page, as a student runs it (docs/lab):
	// a command in the guide that stops working fails here.
	root, _ := filepath.Abs("../..")
	t.Run("guide", func(t *testing.T) { l.runLabGuide(t, ctx, root, key) })
	l.checkUnitsAndKernel(t, ctx)
	l.powerOff(t, ctx)

	// The box: its layout, and its disk boots alone with SSH as vagrant.
	testenv.Require(t, *boxFlag != "", "-box names no box (make image-test builds one)")
	checkBox(t, ctx, *boxFlag, logs, key)
}

func logsDir(t *testing.T) string {
	dir := *logsFlag
	if dir == "" {
		d, err := os.MkdirTemp("", "kwarden-imagetest-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("consoles and logs kept in %s", dir)
		}
	})
	return dir
}

// controlDir is a short directory for SSH's master connection sockets.
func controlDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "kwssh-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// boot starts the disk and waits until the agent is healthy and SSH
// answers, then reads the API token over SSH.
func boot(t *testing.T, ctx context.Context, name, disk, logs, key string) *lab {
	t.Helper()
	console := filepath.Join(logs, name+".console.log")
	m, err := Start(ctx, Config{Disk: disk, Console: console})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Kill)
	t.Logf("%s: qemu started; api %s, prometheus %s, ssh %s; console %s", name,
		m.Addr(GuestAPI), m.Addr(GuestPrometheus), m.Addr(GuestSSH), console)
	l := &lab{name: name, m: m, ssh: SSH{Addr: m.Addr(GuestSSH), User: "vagrant", Key: key, ControlDir: controlDir(t)}}
	open, err := client.New(client.Options{Addr: m.Addr(GuestAPI), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(bootTimeout)
	var last string
	for {
		h, err := open.Health(ctx)
		if err == nil && h.Status == apiv1.HealthOK {
			break
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("status %s: %+v %s", h.Status, h.Sources, h.Error)
		}
		if !m.Running() {
			t.Fatalf("%s: qemu exited before the agent was healthy (%v); console:\n%s", name, m.Wait(0), m.ConsoleTail(60))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: agent not healthy after %v (last: %s); console:\n%s", name, bootTimeout, last, m.ConsoleTail(60))
		}
		time.Sleep(2 * time.Second)
	}
	l.healthy = time.Since(m.Started)
	t.Logf("%s: agent healthy %.0f s after qemu started", name, l.healthy.Seconds())
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := l.ssh.WaitReady(sctx); err != nil {
		t.Fatalf("%s: SSH as vagrant with the insecure key: %v", name, err)
	}
	tok, err := l.ssh.Run(ctx, time.Minute, "cat .config/kwarden/token")
	if err != nil {
		t.Fatalf("%s: the lab user's API token: %v", name, err)
	}
	l.api, err = client.New(client.Options{Addr: m.Addr(GuestAPI), Token: strings.TrimSpace(tok), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *lab) run(t *testing.T, ctx context.Context, command string) string {
	t.Helper()
	out, err := l.ssh.Run(ctx, 2*time.Minute, command)
	if err != nil {
		t.Fatalf("%s: %v", l.name, err)
	}
	return out
}

// checkModule: the module was built by DKMS for the running kernel, is
// loaded, publishes its files, and the agent reads both kernel views.
func (l *lab) checkModule(t *testing.T, ctx context.Context) {
	t.Run("module", func(t *testing.T) {
		rel := strings.TrimSpace(l.run(t, ctx, "uname -r"))
		dkms := l.run(t, ctx, "sudo dkms status -m kwarden")
		if !strings.Contains(dkms, rel) || !strings.Contains(dkms, "installed") {
			t.Errorf("dkms status says %q, want kwarden installed for %s", strings.TrimSpace(dkms), rel)
		}
		if !strings.HasPrefix(rel, "6.12.") {
			t.Errorf("kernel %s, want Debian 13's 6.12", rel)
		}
		if out := l.run(t, ctx, "grep -c '^kwarden ' /proc/modules || true"); strings.TrimSpace(out) != "1" {
			t.Errorf("kwarden is not in /proc/modules")
		}
		path := l.run(t, ctx, "/usr/sbin/modinfo -F filename kwarden")
		if !strings.Contains(path, "/updates/dkms/") {
			t.Errorf("module from %q, want DKMS's updates/dkms", strings.TrimSpace(path))
		}
		t.Logf("module: %s", strings.TrimSpace(l.run(t, ctx, "cat /proc/kwarden/version")))
		h, err := l.api.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range h.Sources {
			if (s.Name == "kmod" || s.Name == "ebpf") && s.State != "ok" {
				t.Errorf("source %s is %s: %s", s.Name, s.State, s.Error)
			}
		}
	})
}

// checkDocker: Docker runs and the workload images were loaded at boot.
func (l *lab) checkDocker(t *testing.T, ctx context.Context) {
	t.Run("docker", func(t *testing.T) {
		t.Logf("docker: %s", strings.TrimSpace(l.run(t, ctx, "docker info --format '{{.ServerVersion}}, cgroup v{{.CgroupVersion}}, {{.Driver}}'")))
		tags := strings.Fields(l.run(t, ctx, "docker image ls kwarden/load --format '{{.Tag}}'"))
		if len(tags) != 5 {
			t.Errorf("kwarden/load tags %v, want cpu, ram, io, disk, low", tags)
		}
	})
}

// checkGeneratorAndPolicy: the timer's rounds create containers, quota
// removes the surplus (2 high, 3 low kept) and records each removal.
// It returns the ids of containers removed.
func (l *lab) checkGeneratorAndPolicy(t *testing.T, ctx context.Context) []string {
	var removed []string
	t.Run("generator and policy", func(t *testing.T) {
		deadline := time.Now().Add(policyTimeout)
		var last string
		for {
			all, err := l.api.Containers(ctx, client.ContainersQuery{All: true})
			if err != nil {
				t.Fatal(err)
			}
			spawned := 0
			removed = removed[:0]
			for _, c := range all.Containers {
				if c.Labels["kwarden.spawned"] == "true" {
					spawned++
					if !c.Removed.IsZero() {
						removed = append(removed, c.ID)
					}
				}
			}
			done := l.decisions(t, ctx, time.Time{}, "done")
			w := CountWorkload(all.Containers)
			last = fmt.Sprintf("%d spawned, %d removed, %d removals done, running %d high and %d low", spawned, len(removed), done, w.High, w.Low)
			if spawned >= 10 && done > 0 && len(removed) > 0 && w.High <= 2 && w.Low <= 3 && w.High+w.Low > 0 {
				t.Logf("generator and policy: %s", last)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v: %s; want a round of 10, removals recorded, and at most 2 high and 3 low running", policyTimeout, last)
			}
			time.Sleep(5 * time.Second)
		}
	})
	return removed
}

// decisions counts the quota policy's decision events since from with
// the given outcome ("" for any).
func (l *lab) decisions(t *testing.T, ctx context.Context, from time.Time, outcome string) int {
	t.Helper()
	q := client.EventsQuery{Kind: "policy.decision", Limit: 10000}
	if !from.IsZero() {
		q.From = client.Time(from)
	} else {
		q.From = "now-7d"
	}
	n := 0
	for {
		a, err := l.api.Events(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range a.Events {
			if e.Data["policy"] == "quota" && (outcome == "" || e.Data["outcome"] == outcome) {
				n++
			}
		}
		if a.Next == "" {
			return n
		}
		q.After = a.Next
	}
}

func (l *lab) countDecisions(t *testing.T, ctx context.Context, from time.Time) int {
	n := l.decisions(t, ctx, from.Add(-time.Hour), "")
	t.Logf("%s: %d policy decisions recorded", l.name, n)
	return n
}

// checkCrossCheck: three comparisons in a row with every process matched
// in both views: none missing, none drifted.
func (l *lab) checkCrossCheck(t *testing.T, ctx context.Context) {
	t.Run("cross-check", func(t *testing.T) {
		deadline := time.Now().Add(steadyTimeout)
		streak, lastTick := 0, time.Time{}
		var why string
		for streak < 3 {
			a, err := l.api.CrossCheck(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a.Time.After(lastTick) {
				lastTick = a.Time
				ok, w := Steady(a)
				why = w
				if ok {
					streak++
				} else {
					streak = 0
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no three agreeing cross-checks in a row in %v; last: %s", steadyTimeout, why)
			}
			time.Sleep(time.Second)
		}
		t.Logf("cross-check: %s", why)
	})
}

// checkStatus: kwardenctl status, as the student runs it, shows the
// course's summary.
func (l *lab) checkStatus(t *testing.T, ctx context.Context) {
	t.Run("kwardenctl status", func(t *testing.T) {
		out := l.run(t, ctx, "bash -lc 'kwardenctl status'")
		for _, want := range []string{": ok,", "Docker connected", "kmod ", "ebpf ", "HIGH (", "LOW (", "DELETED ("} {
			if !strings.Contains(out, want) {
				t.Errorf("kwardenctl status lacks %q:\n%s", want, out)
			}
		}
		t.Logf("kwardenctl status:\n%s", out)
	})
}

// checkPrometheus: Prometheus scrapes the agent, and a PromQL query
// returns the containers' series.
func (l *lab) checkPrometheus(t *testing.T, ctx context.Context) {
	t.Run("prometheus", func(t *testing.T) {
		addr := l.m.Addr(GuestPrometheus)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			up, err1 := PromQuery(ctx, addr, `up{job="kwarden"} == 1`)
			n, err2 := PromQuery(ctx, addr, `container_memory_rss{name=~"kw-.+"}`)
			if err1 == nil && err2 == nil && up == 1 && n > 0 {
				t.Logf("prometheus: kwarden up, %d container_memory_rss series of the generator's containers", n)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("prometheus: up %d (%v), container series %d (%v)", up, err1, n, err2)
			}
			time.Sleep(5 * time.Second)
		}
	})
}

// measureAgent logs kwardend's CPU over a minute and its memory, at the
// lab's default load (docs/benchmarks.md).
func (l *lab) measureAgent(t *testing.T, ctx context.Context) {
	t.Run("agent cost", func(t *testing.T) {
		const q = "systemctl show kwardend -p CPUUsageNSec --value; date +%s%N"
		a := strings.Fields(l.run(t, ctx, q))
		time.Sleep(time.Minute)
		b := strings.Fields(l.run(t, ctx, q))
		if len(a) != 2 || len(b) != 2 {
			t.Fatalf("systemctl show: %v, %v", a, b)
		}
		cpu0, _ := strconv.ParseFloat(a[0], 64)
		t0, _ := strconv.ParseFloat(a[1], 64)
		cpu1, _ := strconv.ParseFloat(b[0], 64)
		t1, _ := strconv.ParseFloat(b[1], 64)
		mem := strings.Fields(l.run(t, ctx, "systemctl show kwardend -p MemoryCurrent --value; ps -o rss= -C kwardend; nproc; docker ps -q | wc -l; cat /proc/loadavg"))
		if len(mem) < 4 {
			t.Fatalf("memory: %v", mem)
		}
		cg, _ := strconv.ParseFloat(mem[0], 64)
		rss, _ := strconv.ParseFloat(mem[1], 64)
		t.Logf("BENCH agent in the VM (TCG): CPU %.1f %% of one vCPU over %.0f s; cgroup memory %.1f MiB, RSS %.1f MiB; %s vCPUs, %s containers running, loadavg %s",
			100*(cpu1-cpu0)/(t1-t0), (t1-t0)/1e9, cg/(1<<20), rss/1024, mem[2], mem[3], strings.Join(mem[4:min(len(mem), 7)], " "))
	})
}

// checkUnitsAndKernel: no unit has failed, and neither the console nor
// the kernel log shows a kernel problem.
func (l *lab) checkUnitsAndKernel(t *testing.T, ctx context.Context) {
	t.Run("units and kernel", func(t *testing.T) {
		if failed := FailedUnits(l.run(t, ctx, "systemctl --failed --plain --no-legend")); len(failed) > 0 {
			t.Errorf("failed units: %v\n%s", failed, l.run(t, ctx, "sudo journalctl -b --no-pager -n 40 -u "+strings.Join(failed, " -u ")))
		}
		units := []string{"kwardend", "docker", "prometheus", "ssh", "kwarden-spawn.timer", "kwarden-load-images"}
		out, _ := l.ssh.Run(ctx, time.Minute, "systemctl is-active "+strings.Join(units, " "))
		states := strings.Fields(out)
		for i, u := range units {
			if i >= len(states) || states[i] != "active" {
				t.Errorf("%s is not active: systemctl is-active says %q", u, strings.TrimSpace(out))
			}
		}
		problems, err := l.m.ConsoleProblems()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("console: %s", p)
		}
		for _, p := range vm.ScanProblems(l.run(t, ctx, "sudo dmesg")) {
			t.Errorf("dmesg: %s", p)
		}
	})
}

func (l *lab) logGrafana(t *testing.T, ctx context.Context) {
	t.Logf("grafana: %s", strings.TrimSpace(l.run(t, ctx, "cat /etc/kwarden/grafana.status")))
}

// powerOff shuts the guest down cleanly and waits for qemu to exit; the
// console of the shutdown is checked too.
func (l *lab) powerOff(t *testing.T, ctx context.Context) {
	t.Helper()
	_, _ = l.ssh.Run(ctx, 30*time.Second, "sudo systemctl poweroff")
	if err := l.m.Wait(powerTimeout); err != nil {
		t.Errorf("%s: no clean power-off in %v: %v; console:\n%s", l.name, powerTimeout, err, l.m.ConsoleTail(30))
		l.m.Kill()
	}
	if problems, _ := l.m.ConsoleProblems(); len(problems) > 0 {
		t.Errorf("%s: console shows %v", l.name, problems)
	}
}

// checkHistoryKept: after a reboot the containers removed during the
// first boot, and the decisions that removed them, are still there.
func (l *lab) checkHistoryKept(t *testing.T, ctx context.Context, first time.Time, removed []string, decided int) {
	t.Run("history kept", func(t *testing.T) {
		all, err := l.api.Containers(ctx, client.ContainersQuery{All: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, c := range all.Containers {
			have[c.ID] = true
		}
		kept := 0
		for _, id := range removed {
			if have[id] {
				kept++
			}
		}
		if len(removed) == 0 || kept != len(removed) {
			t.Errorf("after the reboot %d of the %d containers removed before it are in the history", kept, len(removed))
		}
		if n := l.decisions(t, ctx, first.Add(-time.Hour), ""); n < decided {
			t.Errorf("after the reboot %d policy decisions are recorded, before it %d", n, decided)
		}
		t.Logf("history kept: %d removed containers and %d decisions of the first boot", kept, decided)
	})
}

// checkBox: the .box's layout, its disk by qemu-img, and that disk
// booting on its own with SSH as vagrant and sudo.
func checkBox(t *testing.T, ctx context.Context, path, logs, key string) {
	t.Run("box", func(t *testing.T) {
		box, img, err := ReadBox(path, logs)
		if err != nil {
			t.Fatal(err)
		}
		info, err := QemuImgInfo(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		if info.Format != "qcow2" || info.Backing != "" || info.VirtualSize != box.Metadata.VirtualSize<<30 {
			t.Fatalf("box.img: %+v; metadata %+v: want a qcow2 of virtual_size GiB with no backing file", info, box.Metadata)
		}
		t.Logf("box: %v, metadata %+v, box.img %.0f MiB", box.Files, box.Metadata, float64(info.ActualSize)/(1<<20))
		disk := filepath.Join(logs, "box-boot.qcow2")
		os.Remove(disk)
		if err := Overlay(ctx, img, disk); err != nil {
			t.Fatal(err)
		}
		m, err := Start(ctx, Config{Disk: disk, Console: filepath.Join(logs, "box.console.log")})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Kill()
		s := SSH{Addr: m.Addr(GuestSSH), User: "vagrant", Key: key, ControlDir: controlDir(t)}
		sctx, cancel := context.WithTimeout(ctx, bootTimeout)
		defer cancel()
		if err := s.WaitReady(sctx); err != nil {
			t.Fatalf("box.img: SSH as vagrant with the insecure key: %v; console:\n%s", err, m.ConsoleTail(40))
		}
		t.Logf("box.img: SSH as vagrant %.0f s after qemu started", time.Since(m.Started).Seconds())
		out, err := s.Run(ctx, time.Minute, "sudo -n id -u")
		if err != nil || strings.TrimSpace(out) != "0" {
			t.Errorf("sudo -n as vagrant: %q, %v", out, err)
		}
		_, _ = s.Run(ctx, 30*time.Second, "sudo systemctl poweroff")
		if err := m.Wait(powerTimeout); err != nil {
			t.Errorf("box.img: no clean power-off: %v", err)
		}
		if problems, _ := m.ConsoleProblems(); len(problems) > 0 {
			t.Errorf("box.img: console shows %v", problems)
		}
	})
}
