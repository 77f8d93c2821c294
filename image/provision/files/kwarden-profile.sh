# shellcheck shell=sh
# kwarden lab: kwardenctl reads the API token of this machine from the
# user's own copy (made at first boot by kwarden-lab-token.service).
if [ -r "$HOME/.config/kwarden/token" ]; then
	export KWARDEN_TOKEN_FILE="$HOME/.config/kwarden/token"
elif [ "$(id -u)" = 0 ] && [ -r /etc/kwarden/api.token ]; then
	export KWARDEN_TOKEN_FILE=/etc/kwarden/api.token
fi
