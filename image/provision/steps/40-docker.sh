#!/usr/bin/env bash
# Docker from Debian, and the workload images kwarden/load:<kind>: saved
# on the build machine (make payload), loaded by a oneshot unit at boot,
# since no dockerd runs in the image builder's chroot.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

tar=$KWARDEN_PAYLOAD/images/kwarden-load.tar
[[ -s $tar ]] || { echo "docker: $tar missing: make payload" >&2; exit 1; }
install -D -m 0644 "$tar" /usr/lib/kwarden/images/kwarden-load.tar
install_file kwarden-load-images /usr/lib/kwarden/lab/kwarden-load-images 0755
install_file kwarden-load-images.service /etc/systemd/system/kwarden-load-images.service 0644
systemctl enable --quiet docker.service
enable_units kwarden-load-images.service
