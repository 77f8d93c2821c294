#!/usr/bin/env bash
# make image: the kwarden lab, a bootable Debian 13 qcow2, built offline
# from Debian's packages at native speed: no KVM, no loop device, no
# mount of the image.
#
#   1. rootfs   mmdebstrap trixie with image/provision/packages.txt into a
#               tarball, cached under ~/.cache/kwarden/image by the
#               checksum of the package list and the options (the .debs
#               are cached too); KWARDEN_IMAGE_REFRESH=1 makes it anew.
#   2. provision the payload (make payload) through the one provisioning
#               path, image/provision/run.sh, in a chroot of that tree.
#   3. disk     a DOS partition table written with sfdisk on an image
#               file, the ext4 file system made from the tree by
#               mkfs.ext4 -d at the partition's offset, GRUB's boot.img
#               and a core.img made by grub-mkimage written into the MBR
#               and the gap before the partition; qemu-img makes the qcow2.
#
# The image is out/image/kwarden-lab.qcow2. A build whose inputs (the
# rootfs key, the payload, this script, the lab settings) have not
# changed does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(realpath -m "${KWARDEN_IMAGE_DIR:-out/image}")
payload=$(realpath -m "${KWARDEN_PAYLOAD_DIR:-out/payload}")
cache=${KWARDEN_CACHE:-$HOME/.cache/kwarden}/image
suite=trixie
mirror=http://deb.debian.org/debian
disk_size=${KWARDEN_DISK_SIZE:-20G}
img=$out/kwarden-lab.qcow2
work=$out/work
root=$work/rootfs
t0=$(date +%s)
say() { printf '[%4ds] image: %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
die() { echo "image: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (chroot, mkfs, dkms in the chroot)"
for tool in mmdebstrap mkfs.ext4 sfdisk qemu-img jq; do
	command -v "$tool" >/dev/null || die "$tool missing: run make deps"
done
[[ -f $payload/VERSION ]] || die "no payload in $payload: run make payload"
# shellcheck source=provision/lab.conf
source image/provision/lab.conf

# Stage 1's inputs: the package list and every option given to mmdebstrap.
mapfile -t pkgs < <(grep -v -e '^#' -e '^$' image/provision/packages.txt)
mm_opts=(--variant=apt --aptopt='APT::Install-Recommends "false"'
	--include="$(IFS=,; echo "${pkgs[*]}")")
rootfs_key=$(printf '%s\n' "stage1 v1" "${mm_opts[@]}" "$suite" "$mirror" | sha256sum | cut -c1-16)
rootfs_tar=$cache/rootfs-$rootfs_key.tar

# The image's inputs: a rebuild with none changed is skipped.
payload_sum=$(cd "$payload" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
inputs=$(printf '%s\n' "rootfs $rootfs_key" "payload $payload_sum" "build $(sha256sum image/build.sh | cut -c1-16)" \
	"disk $disk_size" "$(env | grep -E '^KWARDEN_(GENERATOR|SPAWN_PROFILE|POLICY|LAB_USER|CMDLINE|GRAFANA_REPO)=' | sort)")
if [[ -f $img && -f $img.inputs && $(cat "$img.inputs") == "$inputs" && -z ${KWARDEN_IMAGE_REFRESH:-} ]]; then
	say "up to date: $img ($(cat "$payload/VERSION"))"
	exit 0
fi

# Every mount below the work tree goes before anything there is removed
# (a half-finished earlier run may have left /dev bound in the chroot).
unmount_work() {
	findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r -n1 umount -l || true
}
cleanup() {
	unmount_work
	if [[ -z ${KWARDEN_IMAGE_KEEP:-} ]]; then rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
unmount_work
rm -rf --one-file-system "$work"
mkdir -p "$root" "$cache/debs"

# 1. rootfs
if [[ -s $rootfs_tar && -z ${KWARDEN_IMAGE_REFRESH:-} ]]; then
	say "rootfs: cached ($rootfs_tar)"
else
	say "rootfs: mmdebstrap $suite, ${#pkgs[@]} packages (cached .debs: $(find "$cache/debs" -name '*.deb' | wc -l))"
	mmdebstrap --skip=essential/unlink --skip=check/empty \
		--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
		--setup-hook="sync-in $cache/debs /var/cache/apt/archives/" \
		--customize-hook="sync-out /var/cache/apt/archives $cache/debs" \
		"${mm_opts[@]}" "$suite" "$cache/.rootfs-new.tar" "$mirror" >"$work/mmdebstrap.log" 2>&1 ||
		{ tail -40 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed (log above)"; }
	mv "$cache/.rootfs-new.tar" "$rootfs_tar"
	find "$cache" -maxdepth 1 -name 'rootfs-*.tar' ! -name "${rootfs_tar##*/}" -delete
	say "rootfs: $(du -h "$rootfs_tar" | cut -f1), .debs cached in $cache/debs"
fi
tar -xpf "$rootfs_tar" -C "$root" --numeric-owner --xattrs --xattrs-include='*'
kver=$(ls "$root/lib/modules" | sort -V | tail -1)
[[ -n $kver && -e $root/boot/vmlinuz-$kver ]] || die "no kernel in the rootfs"
say "rootfs: kernel $kver"

# 2. provision, in a chroot: /proc, /sys, /dev bound in, services kept
# from starting (policy-rc.d), the build machine's resolver for the one
# step that may reach beyond Debian's mirror (Grafana's repository).
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
mount -t tmpfs tmpfs "$root/run"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
rm -f "$root/etc/resolv.conf"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp -a "$payload" "$root/tmp/kwarden-payload"
say "provision: $(cat "$payload/VERSION")"
env_args=(PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
	KWARDEN_PAYLOAD=/tmp/kwarden-payload KWARDEN_MODE=image)
for v in KWARDEN_GENERATOR KWARDEN_SPAWN_PROFILE KWARDEN_POLICY KWARDEN_LAB_USER KWARDEN_CMDLINE KWARDEN_GRAFANA_REPO; do
	env_args+=("$v=${!v}")
done
if ! chroot "$root" /usr/bin/env -i "${env_args[@]}" /bin/bash /tmp/kwarden-payload/provision/run.sh 2>&1 | sed -u 's/^/    /'; then
	die "provisioning failed (above)"
fi

# What only the offline image needs: its fstab, GRUB on the serial
# console, and no trace of the build.
uuid=$(cat /proc/sys/kernel/random/uuid)
printf 'UUID=%s / ext4 errors=remount-ro 0 1\n' "$uuid" >"$root/etc/fstab"
install -d "$root/boot/grub/i386-pc"
cp "$root"/usr/lib/grub/i386-pc/*.mod "$root"/usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
# /vmlinuz and /initrd.img follow the newest kernel (Debian's symlinks),
# so a kernel upgrade in the VM boots without grub-mkconfig.
cat >"$root/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=2
set default=0
menuentry 'kwarden lab (Debian 13)' {
	search --no-floppy --fs-uuid --set=root $uuid
	linux /vmlinuz root=UUID=$uuid ro $KWARDEN_CMDLINE
	initrd /initrd.img
}
menuentry 'kwarden lab (Debian 13), kernel $kver' {
	search --no-floppy --fs-uuid --set=root $uuid
	linux /boot/vmlinuz-$kver root=UUID=$uuid ro $KWARDEN_CMDLINE
	initrd /boot/initrd.img-$kver
}
CFG
chroot "$root" grub-mkimage -O i386-pc -o /tmp/core.img -p "(hd0,msdos1)/boot/grub" \
	biosdisk part_msdos ext2 normal linux search search_fs_uuid serial terminal echo test configfile
mv "$root/tmp/core.img" "$work/core.img"
cp "$root/usr/lib/grub/i386-pc/boot.img" "$work/boot.img"

rm -rf "$root/tmp/kwarden-payload" "$root/usr/sbin/policy-rc.d"
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/tmp/* "$root"/var/tmp/*
find "$root/var/log" -type f \( -name '*.log' -o -name '*.gz' \) -delete
unmount_work
if findmnt -rn -o TARGET | grep -q "^$root"; then die "mounts left under $root"; fi

# 3. disk: a partition from 1 MiB to the end, ext4 made from the tree at
# that offset, then GRUB in front of it.
raw=$work/disk.raw
truncate -s "$disk_size" "$raw"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$raw"
bytes=$(stat -c %s "$raw")
say "disk: ext4 from the tree ($(du -sh "$root" | cut -f1)), $disk_size"
mkfs.ext4 -q -F -L kwarden-root -U "$uuid" -E offset=1048576,lazy_itable_init=1 -d "$root" "$raw" $(( (bytes - 1048576) / 4096 ))
core=$(stat -c %s "$work/core.img")
(( core < 1048576 - 512 )) || die "GRUB's core.img ($core bytes) does not fit before the partition"
dd if="$work/boot.img" of="$raw" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$raw" bs=512 seek=1 conv=notrunc status=none
say "disk: qcow2"
mkdir -p "$out"
qemu-img convert -O qcow2 "$raw" "$img.new"
mv "$img.new" "$img"
# The kernel beside the image: make lab boots it alone to learn whether
# KVM works here.
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
printf '%s\n' "$inputs" >"$img.inputs"
say "done in $(( $(date +%s) - t0 )) s: $img ($(du -h "$img" | cut -f1) on disk, $disk_size virtual, kernel $kver, $(cat "$payload/VERSION"))"
