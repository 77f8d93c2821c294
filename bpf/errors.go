package bpf

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

var (
	// ErrNoBTF reports a kernel without BTF type information
	// (CONFIG_DEBUG_INFO_BTF): CO-RE programs cannot be relocated.
	ErrNoBTF = errors.New("kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y and /sys/kernel/btf/vmlinux are needed)")
	// ErrPermission reports missing privileges: loading tracing programs
	// needs root, or CAP_BPF with CAP_PERFMON.
	ErrPermission = errors.New("not permitted to load eBPF programs (run as root, or with CAP_BPF and CAP_PERFMON)")
	// ErrUnsupported reports a kernel that lacks a feature the programs
	// use (task iterators, bpf_loop, per-CPU map lookups: Linux 5.19+).
	ErrUnsupported = errors.New("kernel lacks an eBPF feature kwarden needs (Linux 5.19 or newer)")
)

// classify wraps a load or attach error with the sentinel a caller can
// act on, keeping the original error for the details.
func classify(action string, err error) error {
	if err == nil {
		return nil
	}
	// The verifier answers EACCES for a program it rejects: that is a
	// kernel without some feature (or a bug), not a missing privilege,
	// unless the log says the rejected part needs one.
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		msg := strings.Join(ve.Log, "\n")
		switch {
		case strings.Contains(msg, "unknown func"), strings.Contains(msg, "invalid func"),
			strings.Contains(msg, "program of this type cannot use helper"):
			return fmt.Errorf("%s: %w: %w", action, ErrUnsupported, err)
		case strings.Contains(msg, "pointer arithmetic") && strings.Contains(msg, "prohibited"),
			strings.Contains(msg, "leaks addr"):
			return fmt.Errorf("%s: %w: %w", action, ErrPermission, err)
		}
		return fmt.Errorf("%s: %w", action, err)
	}
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES), errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s: %w: %w", action, ErrPermission, err)
	case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, errnoENOTSUPP), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("%s: %w: %w", action, ErrUnsupported, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}

// errnoENOTSUPP is the kernel-internal ENOTSUPP (524) that BPF syscalls
// leak to user space; x/sys/unix does not name it.
const errnoENOTSUPP = unix.Errno(524)
