package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/kwarden/kwarden/internal/kmodfmt"
	"github.com/kwarden/kwarden/internal/snapshot"
	"github.com/kwarden/kwarden/test/kmodvm/report"
	"github.com/kwarden/kwarden/test/vm/record"
)

const cgroupRoot = "/sys/fs/cgroup"

// placement puts sleepers into a cgroup and says which container, if any,
// the module must report for them.
type placement struct {
	dir      string
	procs    int
	id       string // "" for no container
	runtime  string
	ctrGroup string // the container's own cgroup, when dir is below it
}

func containers(ctx context.Context, _ []string) error {
	idA := strings.Repeat("a1", 32)
	idB := strings.Repeat("b2", 32)
	idC := strings.Repeat("c3", 32)
	hex63 := strings.Repeat("d", 63)
	places := []placement{
		{dir: "system.slice/docker-" + idA + ".scope", procs: 2, id: idA, runtime: "docker"},
		{dir: "system.slice/docker-" + idA + ".scope/inner", procs: 1, id: idA, runtime: "docker", ctrGroup: "system.slice/docker-" + idA + ".scope"},
		{dir: "docker/" + idB, procs: 1, id: idB, runtime: "docker"},
		{dir: "kubepods/pod1/cri-containerd-" + idC + ".scope", procs: 1, id: idC, runtime: "containerd"},
		{dir: "system.slice/docker.service", procs: 1},
		{dir: "other/" + idB, procs: 1},
		{dir: "system.slice/docker-" + hex63 + ".scope", procs: 1},
		{dir: "system.slice/docker-" + strings.ToUpper(idC) + ".scope", procs: 1},
	}
	var g group
	defer g.stop()
	rep := &report.Containers{}
	fail := rep.Failf
	wantPIDs := map[string][]int32{}
	where := map[int32]placement{}
	for _, pl := range places {
		dir := filepath.Join(cgroupRoot, pl.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create cgroup: %w", err)
		}
		for i := 0; i < pl.procs; i++ {
			pid, _, err := g.start(ctx, "kw-ctr", "sleepers", "0")
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
				return fmt.Errorf("move %d into %s: %w", pid, dir, err)
			}
			where[int32(pid)] = pl
			if pl.id != "" {
				wantPIDs[pl.id] = append(wantPIDs[pl.id], int32(pid))
			}
		}
	}
	rep.Expected = len(wantPIDs)

	mod, _, err := readProcesses()
	if err != nil {
		return err
	}
	procs := byPID(mod)
	for pid, pl := range where {
		rep.Checked++
		p := procs[pid]
		switch {
		case p == nil:
			fail("pid %d missing", pid)
		case p.ContainerID != pl.id || p.ContainerRuntime != pl.runtime:
			fail("pid %d in %s: container %q/%q, want %q/%q", pid, pl.dir, p.ContainerID, p.ContainerRuntime, pl.id, pl.runtime)
		case p.CgroupPath != "/"+pl.dir:
			fail("pid %d: cgroup_path %q, want %q", pid, p.CgroupPath, "/"+pl.dir)
		}
		if p != nil {
			checkCgroupID(fail, pid, p.CgroupID, filepath.Join(cgroupRoot, pl.dir))
		}
	}

	ct, err := (&kmodfmt.Reader{}).Containers(ctx)
	if err != nil {
		return fmt.Errorf("read containers: %w", err)
	}
	rep.Got = len(ct.Containers)
	if !slices.IsSortedFunc(ct.Containers, func(a, b snapshot.Container) int { return strings.Compare(a.ID, b.ID) }) {
		fail("containers not sorted by id")
	}
	for _, c := range ct.Containers {
		want, ok := wantPIDs[c.ID]
		if !ok {
			fail("unexpected container %s (%s)", c.ID, c.CgroupPath)
			continue
		}
		slices.Sort(want)
		if !slices.Equal(c.PIDs, want) || int(c.Processes) != len(want) {
			fail("container %.12s: pids %v, want %v", c.ID, c.PIDs, want)
		}
		// The container's own cgroup, not a sub-cgroup of it.
		own := where[want[0]]
		dir := own.dir
		if own.ctrGroup != "" {
			dir = own.ctrGroup
		}
		if c.CgroupPath != "/"+dir || c.Runtime != own.runtime {
			fail("container %.12s: cgroup %q runtime %q, want %q %q", c.ID, c.CgroupPath, c.Runtime, "/"+dir, own.runtime)
		}
		checkCgroupID(fail, 0, c.CgroupID, filepath.Join(cgroupRoot, dir))
		// The sums equal the sums of the member processes: sleepers are
		// idle, so the two reads agree.
		var rss, vsz uint64
		var threads uint32
		for _, pid := range want {
			if p := procs[pid]; p != nil {
				rss += p.RSSBytes()
				vsz += p.VSZBytes
				threads += p.Threads
			}
		}
		if got := c.RSSAnonBytes + c.RSSFileBytes + c.RSSShmemBytes; got != rss || c.VSZBytes != vsz || c.Threads != threads {
			fail("container %.12s: rss %d vsz %d threads %d; processes sum to %d %d %d", c.ID, got, c.VSZBytes, c.Threads, rss, vsz, threads)
		}
		delete(wantPIDs, c.ID)
	}
	for id := range wantPIDs {
		fail("container %s missing", id)
	}
	return record.Emit("containers", rep)
}

// checkCgroupID compares the module's cgroup id with the cgroup
// directory's inode number, which is the same kernfs node id on 64-bit.
func checkCgroupID(fail func(string, ...any), pid int32, id uint64, dir string) {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		fail("stat %s: %v", dir, err)
		return
	}
	if st.Ino != id {
		fail("pid %d: cgroup_id %d, inode of %s is %d", pid, id, dir, st.Ino)
	}
}
