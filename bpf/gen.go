package bpf

// The C lives in src/: a .c file beside Go files breaks `go build` without
// cgo. Regenerate with `make generate` (Debian's clang, llvm-strip).
//go:generate go tool bpf2go -target amd64 -type kw_proc kwarden src/kwarden.bpf.c -- -O2 -g -Wall -Werror -Isrc
