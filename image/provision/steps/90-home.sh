#!/usr/bin/env bash
# The course's working files in the student's home: a short lab README
# (kwardenctl, /proc/kwarden, the URLs), and a login message pointing at it.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

user=$KWARDEN_LAB_USER
home=$(getent passwd "$user" | cut -d: -f6)
install -m 0644 -o "$user" -g "$user" "$KWARDEN_PROVISION/files/LAB.md" "$home/LAB.md"
install_file motd /etc/motd 0644
