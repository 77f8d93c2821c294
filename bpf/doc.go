// Package bpf is kwarden's eBPF view of the machine: the same per-process
// figures as the kwarden kernel module, gathered independently by CO-RE
// programs (src/kwarden.bpf.c), so that the two views can be cross-checked.
//
//   - A task iterator gives snapshots: one record per thread group,
//     returned as the snapshot types the module reader returns.
//   - An exit hook sends the final figures of every process whose last
//     thread exits over a ring buffer.
//
// The generated loader (kwarden_x86_bpfel.go and .o, from bpf2go) is
// committed, so building needs no clang; `make generate` rebuilds it.
// Nothing outside this package touches the generated objects.
//
// Open explains, through ErrNoBTF, ErrPermission and ErrUnsupported, why
// the view cannot run on this kernel; the caller keeps running without it.
package bpf
