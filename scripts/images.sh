#!/usr/bin/env bash
# Builds the workload images kwarden/load:<kind> FROM scratch, offline: a
# static kwarden-load binary and one tiny image per kind, labelled with
# kwarden.kind. Uses the daemon DOCKER_HOST names (default: the system's).
set -euo pipefail
cd "$(dirname "$0")/.."

docker=${DOCKER:-/usr/bin/docker}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/kwarden-load" ./agent/cmd/kwarden-load
for kind in cpu ram io disk low; do
	sed "s/@KIND@/$kind/g" agent/load/Dockerfile.in >"$ctx/Dockerfile"
	# The classic builder needs nothing from a registry for FROM scratch.
	DOCKER_BUILDKIT=0 "$docker" build -q -t "kwarden/load:$kind" "$ctx" >/dev/null
	echo "built kwarden/load:$kind"
done
