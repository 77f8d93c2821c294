// Command emitter is a guest program for package vm's integration test: it
// reports a record through package record and exits with a chosen status.
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/kwarden/kwarden/test/vm/record"
)

func main() {
	host, _ := os.Hostname()
	err := record.Emit("emitter", map[string]any{"args": os.Args[1:], "goos": runtime.GOOS, "host": host, "pid": os.Getpid()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(3)
}
