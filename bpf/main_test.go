package bpf

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/kwarden/kwarden/test/burn"
)

// The test binary doubles as the children the tests need; the mode is
// chosen by an environment variable, so no other program is involved.
const childEnv = "KWARDEN_BPF_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "alloc":
		childAlloc()
	case "burn":
		ms, _ := strconv.Atoi(os.Getenv("BURN_MS"))
		burn.AndExit(time.Duration(ms) * time.Millisecond)
	case "open":
		childOpen()
	case "snapshot":
		childSnapshot()
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode", os.Getenv(childEnv))
		os.Exit(2)
	}
}

// childAlloc touches 256 MiB, says "ready" and waits for stdin to close.
func childAlloc() {
	b := make([]byte, 256<<20)
	for i := 0; i < len(b); i += os.Getpagesize() {
		b[i] = 1
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	runtime.KeepAlive(b)
	os.Exit(0)
}

// childSnapshot prints the size of one snapshot and how it was taken.
func childSnapshot() {
	c, err := Open(Options{NoExits: true})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	defer c.Close()
	ps, err := c.Processes(context.Background())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println(len(ps.Processes), c.SnapshotMethod())
}

// childOpen tries Open (run without privileges) and prints the outcome.
func childOpen() {
	c, err := Open(Options{})
	if err == nil {
		c.Close()
		fmt.Println("opened")
		os.Exit(0)
	}
	fmt.Printf("permission=%v unsupported=%v nobtf=%v err=%v\n",
		errors.Is(err, ErrPermission), errors.Is(err, ErrUnsupported), errors.Is(err, ErrNoBTF), err)
	os.Exit(0)
}
