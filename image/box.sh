#!/usr/bin/env bash
# make box: the lab as a vagrant-libvirt box, out/box/kwarden-lab-libvirt.box:
# a tar of metadata.json (provider libvirt, format qcow2, virtual_size in
# GiB), the box's Vagrantfile (its libvirt defaults) and box.img, the
# image as one compressed qcow2 with no backing file.
#
#   vagrant box add --name kwarden-lab out/box/kwarden-lab-libvirt.box
#
# (the top-level Vagrantfile does that itself when the box exists). No
# VirtualBox box is made: it could not be booted or checked here.
set -euo pipefail
cd "$(dirname "$0")/.."
img=${KWARDEN_IMAGE:-out/image/kwarden-lab.qcow2}
out=${KWARDEN_BOX_DIR:-out/box}
box=$out/kwarden-lab-libvirt.box
t0=$(date +%s)
say() { printf '[%4ds] box: %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

[[ -f $img && -f $img.inputs ]] || { echo "box: no image at $img: run make image" >&2; exit 1; }
if [[ -f $box && -f $box.inputs ]] && cmp -s "$img.inputs" "$box.inputs"; then
	say "up to date: $box"
	exit 0
fi
work=$out/work
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

say "box.img: compressed qcow2 of $img"
qemu-img convert -c -O qcow2 "$img" "$work/box.img"
bytes=$(qemu-img info --output=json "$work/box.img" | jq '.["virtual-size"]')
(( bytes % (1 << 30) == 0 )) || { echo "box: virtual size $bytes is not whole GiB" >&2; exit 1; }
jq -n --argjson gib $(( bytes >> 30 )) '{provider: "libvirt", format: "qcow2", virtual_size: $gib}' >"$work/metadata.json"
cat >"$work/Vagrantfile" <<'VF'
# The kwarden lab box's defaults (vagrant-libvirt); a project's
# Vagrantfile overrides them.
Vagrant.configure("2") do |config|
  config.vm.synced_folder ".", "/vagrant", disabled: true
  config.vm.provider :libvirt do |lv|
    lv.memory = 3072
    lv.cpus = 2
    lv.disk_bus = "virtio"
    lv.nic_model_type = "virtio"
    lv.serial :type => "pty"
  end
end
VF
tar -cf "$box.new" -C "$work" metadata.json Vagrantfile box.img
mv "$box.new" "$box"
cp "$img.inputs" "$box.inputs"
say "done: $box ($(du -h "$box" | cut -f1))"
