package psi

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child that creates memory pressure; an
// environment variable selects it, so no other program is involved.
const childEnv = "KWARDEN_PSI_TEST_CHILD"

// childMaxLife ends a child whose parent died without stopping it.
const childMaxLife = 2 * time.Minute

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "thrash":
		childThrash(os.Getenv("THRASH_FILE"), os.Getenv("THRASH_MIB"))
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode", os.Getenv(childEnv))
		os.Exit(2)
	}
}

// childThrash waits for a line on stdin (sent once the parent has moved
// it into its cgroup), writes a file of mib MiB, and then reads every
// page of it through a shared mapping, over and over, until stdin
// closes. With the file larger than the cgroup's memory limit, each pass
// evicts pages the next one needs again: the charge for every page read
// waits in reclaim, and refaults of recently used pages wait for the
// disk, both of which the kernel counts as memory stall.
func childThrash(path, mibText string) {
	fail := func(err error) { fmt.Fprintln(os.Stderr, "thrash:", err); os.Exit(2) }
	mib, err := strconv.Atoi(mibText)
	if err != nil || mib <= 0 {
		fail(fmt.Errorf("THRASH_MIB %q", mibText))
	}
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		os.Exit(0) // the parent gave up before it started us
	}
	go func() {
		_, _ = in.ReadString('\n') // returns when the parent closes stdin
		os.Exit(0)
	}()
	time.AfterFunc(childMaxLife, func() { os.Exit(3) })

	f, err := os.Create(filepath.Clean(path))
	if err != nil {
		fail(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i) // not zeros: nothing may share or skip pages
	}
	for range mib {
		if _, err := f.Write(chunk); err != nil {
			fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		fail(err)
	}
	size := mib << 20
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		fail(err)
	}
	page := os.Getpagesize()
	for {
		var sum byte
		for off := 0; off < size; off += page {
			sum += m[off]
		}
		thrashSum = sum // a store the compiler cannot drop, nor the reads before it
	}
}

var thrashSum byte
