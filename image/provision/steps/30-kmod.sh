#!/usr/bin/env bash
# The kwarden module through DKMS, built for every kernel that has its
# headers here (in the chroot the running kernel is the build machine's,
# so each target is named with -k), and loaded at every boot.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$KWARDEN_PAYLOAD/kmod/dkms.conf")
[[ -n $ver ]] || { echo "kmod: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
src=/usr/src/kwarden-$ver

# A rerun replaces the source and rebuilds: dkms keys builds by version.
if dkms status -m kwarden -v "$ver" 2>/dev/null | grep -q .; then
	dkms remove -m kwarden -v "$ver" --all >/dev/null
fi
rm -rf "$src"
install -d "$src"
cp -a "$KWARDEN_PAYLOAD/kmod/." "$src/"
dkms add -m kwarden -v "$ver" >/dev/null

built=0
for kdir in /lib/modules/*/build; do
	[[ -e $kdir/Makefile ]] || continue
	kver=$(basename "$(dirname "$kdir")")
	say "dkms install kwarden/$ver -k $kver"
	if ! dkms install -m kwarden -v "$ver" -k "$kver" >/tmp/kwarden-dkms.log 2>&1; then
		cat /tmp/kwarden-dkms.log >&2
		find /var/lib/dkms/kwarden -name make.log -exec cat {} + >&2 || true
		exit 1
	fi
	modinfo -k "$kver" -F vermagic kwarden >/dev/null
	built=$((built + 1))
done
rm -f /tmp/kwarden-dkms.log
[[ $built -gt 0 ]] || { echo "kmod: no kernel headers under /lib/modules/*/build (install linux-headers-amd64)" >&2; exit 1; }

echo kwarden >/etc/modules-load.d/kwarden.conf
if [[ $KWARDEN_MODE == live ]] && modinfo -k "$(uname -r)" kwarden >/dev/null 2>&1; then
	modprobe kwarden
	say "loaded into $(uname -r)"
fi
