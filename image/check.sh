#!/usr/bin/env bash
# make image-check (part of make test): the lab's recipes checked
# offline, without building anything: the shell scripts (bash -n
# and shellcheck), the Packer template (packer fmt and validate, Debian's
# packer 1.6.6) and the Vagrantfile (vagrant validate with
# vagrant-libvirt) in each of its three cases: a local box, a payload for
# a stock Debian box, neither.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "image-check: $*" >&2; exit 1; }
for tool in packer vagrant shellcheck; do
	command -v "$tool" >/dev/null || fail "$tool missing: run make deps"
done

mapfile -t scripts < <(find image -name '*.sh' | sort)
scripts+=(image/provision/files/kwarden-load-images image/provision/files/kwarden-lab-token)
for s in "${scripts[@]}"; do
	bash -n "$s" || fail "$s: syntax"
done
shellcheck -x -S warning "${scripts[@]}" || fail "shellcheck found problems (above)"
echo "image-check: ${#scripts[@]} scripts: bash -n, shellcheck"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

packer fmt -check image/kwarden.pkr.hcl >/dev/null || fail "image/kwarden.pkr.hcl is not packer fmt'ed"
# validate fetches the checksum file of a file: URL, which these machines
# cannot reach: give it a checksum to check the rest offline. It also
# wants the payload the file provisioner uploads: an empty stand-in
# where make payload has not run.
payload=out/payload
if [[ ! -d $payload ]]; then
	payload=$t/payload
	mkdir -p "$payload/cloud-init"
fi
packer validate -var "cloud_image_checksum=sha512:$(printf '0%.0s' $(seq 128))" -var "payload=$payload" image/kwarden.pkr.hcl ||
	fail "packer validate image/kwarden.pkr.hcl"
echo "image-check: packer $(packer version | head -1 | cut -d' ' -f2) validate: ok"
export VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_HOME=$t/vagrant.d
for case in box payload none; do
	d=$t/$case
	mkdir -p "$d/out/box" "$d/out/payload"
	cp Vagrantfile "$d/"
	case $case in
	box) touch "$d/out/box/kwarden-lab-libvirt.box" ;;
	payload) ;;
	none) rmdir "$d/out/payload" ;;
	esac
	(cd "$d" && vagrant validate >"$t/log" 2>&1) || { cat "$t/log"; fail "vagrant validate ($case)"; }
done
echo "image-check: $(vagrant --version) validate with vagrant-libvirt (local box, payload, neither): ok"
