#!/usr/bin/env bash
# The machine: its name, its network (image mode: systemd-networkd, DHCP
# on every wired interface), a serial console on ttyS0, SSH host keys
# made on the first boot rather than shared by every copy of the image.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

if [[ $KWARDEN_MODE == image ]]; then
	echo kwarden-lab >/etc/hostname
	cat >/etc/hosts <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	kwarden-lab
::1		localhost ip6-localhost ip6-loopback
HOSTS
	install_file wired.network /etc/systemd/network/20-wired.network 0644
	# Ready once any interface is up: the lab does not wait two minutes
	# for a link it may never get (qemu without a network).
	install_file wait-online.conf /etc/systemd/system/systemd-networkd-wait-online.service.d/kwarden.conf 0644
	systemctl enable --quiet systemd-networkd.service systemd-resolved.service
	# Made per machine at first boot (kwarden-ssh-hostkeys.service).
	rm -f /etc/ssh/ssh_host_*
	install_file kwarden-ssh-hostkeys.service /etc/systemd/system/kwarden-ssh-hostkeys.service 0644
	install_file sshd-hostkey.conf /etc/ssh/sshd_config.d/kwarden-hostkey.conf 0644
	systemctl enable --quiet kwarden-ssh-hostkeys.service
	# make lab's network reaches nothing beyond the host's forwards: no
	# daily apt run to fail there (apt works by hand where it can reach).
	systemctl disable --quiet apt-daily.timer apt-daily-upgrade.timer
	# The journal survives reboots, so does what the lab logged.
	install -d -m 2755 -g systemd-journal /var/log/journal
else
	# A Packer or Vagrant base boots with its own GRUB: add the serial
	# console to its kernel command line.
	if [[ -d /etc/default/grub.d ]] && command -v update-grub >/dev/null; then
		printf 'GRUB_CMDLINE_LINUX_DEFAULT="%s"\nGRUB_TERMINAL="console serial"\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\n' \
			"$KWARDEN_CMDLINE" >/etc/default/grub.d/kwarden.cfg
		update-grub 2>/dev/null
	fi
fi
systemctl enable --quiet ssh.service
