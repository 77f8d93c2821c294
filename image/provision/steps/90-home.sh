#!/usr/bin/env bash
# The course's working files in the student's home: a short lab README
# (kwardenctl, /proc/kwarden, the URLs), the lab guide's exercises in
# ~/lab, and a login message pointing at them.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

user=$KWARDEN_LAB_USER
home=$(getent passwd "$user" | cut -d: -f6)
install -m 0644 -o "$user" -g "$user" "$KWARDEN_PROVISION/files/LAB.md" "$home/LAB.md"
# The lab guide's exercises (docs/lab), the student's to annotate.
rm -rf "$home/lab"
install -d -m 0755 -o "$user" -g "$user" "$home/lab"
install -m 0644 -o "$user" -g "$user" "$KWARDEN_PAYLOAD"/lab/*.md "$home/lab/"
install_file motd /etc/motd 0644
