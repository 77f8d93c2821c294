# Helpers the provisioning steps source (run.sh exports what they read).
# shellcheck shell=bash

say() { echo "  $*"; }

# enable_units UNIT...: enabled in both modes; started (or restarted,
# to pick up a changed file) where systemd runs.
enable_units() {
	systemctl enable --quiet "$@"
	if [[ $KWARDEN_MODE == live ]]; then
		systemctl daemon-reload
		systemctl restart "$@"
	fi
}

# install_file SRC DST MODE [OWNER]: copies a file of files/ into place.
install_file() {
	install -D -m "$3" -o "${4:-root}" -g "${4:-root}" "$KWARDEN_PROVISION/files/$1" "$2"
}
