#!/usr/bin/env bash
# The one provisioning path of the kwarden lab (Debian 13): the offline
# builder runs it in a chroot (image/build.sh), Packer and Vagrant on a
# running Debian 13 (image/kwarden.pkr.hcl, Vagrantfile). It runs the
# steps in steps/ in order, each idempotent. Its payload (make payload)
# holds this directory, the binaries (root/), the module's source
# (kmod/), the workload images (images/), Vagrant's insecure key
# (keys/), the Grafana plugin and its provisioning (grafana/) and the
# lab guide (lab/).
#
#   KWARDEN_PAYLOAD=/tmp/kwarden-payload bash /tmp/kwarden-payload/provision/run.sh [STEP...]
#
# The mode is "image" in a chroot (nothing runs: units are enabled, not
# started) and "live" where systemd runs (units are started too).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export KWARDEN_PAYLOAD=${KWARDEN_PAYLOAD:-$(dirname "$here")}
export KWARDEN_PROVISION=$here
if [[ -z ${KWARDEN_MODE:-} ]]; then
	if [[ -d /run/systemd/system ]]; then KWARDEN_MODE=live; else KWARDEN_MODE=image; fi
fi
export KWARDEN_MODE
# shellcheck source=lab.conf
source "$here/lab.conf"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

if [[ $(id -u) -ne 0 ]]; then
	echo "provision: run as root" >&2
	exit 1
fi
for d in root kmod images keys grafana lab; do
	[[ -d $KWARDEN_PAYLOAD/$d ]] || { echo "provision: $KWARDEN_PAYLOAD/$d missing: build the payload with make payload" >&2; exit 1; }
done

steps=("$@")
if [[ ${#steps[@]} -eq 0 ]]; then
	mapfile -t steps < <(cd "$here/steps" && ls [0-9]*.sh)
fi
echo "provision: mode $KWARDEN_MODE, payload $KWARDEN_PAYLOAD ($(cat "$KWARDEN_PAYLOAD/VERSION" 2>/dev/null || echo unknown))"
for s in "${steps[@]}"; do
	start=$(date +%s)
	echo "provision: ${s%.sh}"
	bash "$here/steps/$s"
	echo "provision: ${s%.sh} done in $(( $(date +%s) - start )) s"
done
