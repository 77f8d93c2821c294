#!/usr/bin/env bash
# Debian 13's packages of the lab (packages.txt). The offline builder's
# rootfs stage has them all; a Packer or Vagrant base gets what it lacks.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

mapfile -t want < <(grep -v -e '^#' -e '^$' "$KWARDEN_PROVISION/packages.txt")
missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
	say "all ${#want[@]} packages installed"
	exit 0
fi
say "installing ${missing[*]}"
apt-get update -qq
# Debian's docker.io would start dockerd from its postinst in a chroot:
# policy-rc.d (run.sh's caller) stops that in image mode.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
