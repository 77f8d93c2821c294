#!/usr/bin/env bash
# The student's account, Vagrant's conventions: user and password
# vagrant, sudo without a password, Vagrant's insecure key (from Debian's
# vagrant package, in the payload) for SSH; in the docker group.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

user=$KWARDEN_LAB_USER
if ! id "$user" >/dev/null 2>&1; then
	useradd -m -s /bin/bash "$user"
	echo "$user:vagrant" | chpasswd
fi
usermod -a -G docker,systemd-journal,adm "$user"
home=$(getent passwd "$user" | cut -d: -f6)
printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" >/etc/sudoers.d/90-kwarden-lab
chmod 0440 /etc/sudoers.d/90-kwarden-lab
visudo -cqf /etc/sudoers.d/90-kwarden-lab

install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
keys=$home/.ssh/authorized_keys
touch "$keys"
pub=$(cat "$KWARDEN_PAYLOAD/keys/vagrant.pub")
grep -qxF "$pub" "$keys" || printf '%s\n' "$pub" >>"$keys"
chown "$user:$user" "$keys"
chmod 0600 "$keys"
# Where the machine already has its token (a rerun, a live machine).
if [[ -f /etc/kwarden/api.token && ! -f $home/.config/kwarden/token ]]; then
	/usr/lib/kwarden/lab/kwarden-lab-token "$user" >/dev/null
fi
