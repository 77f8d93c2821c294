#!/usr/bin/env bash
# Grafana from Grafana's own apt repository, when it can be reached; then
# every hook in grafana.d/ (the datasource, and the kwarden plugin with
# its provisioning when that lands). Where the repository cannot be
# reached the lab goes on without Grafana and says so: Prometheus keeps
# the graphs.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

repo=$KWARDEN_GRAFANA_REPO
status=/etc/kwarden/grafana.status
key=$(mktemp)
trap 'rm -f "$key"' EXIT

if ! dpkg-query -W -f='${Status}' grafana 2>/dev/null | grep -q 'install ok installed'; then
	if ! err=$(curl -fsS --connect-timeout 10 --max-time 30 -o "$key" "$repo/gpg.key" 2>&1); then
		cat <<MSG
  ************************************************************************
  grafana: NOT INSTALLED: $repo cannot be reached from here
  grafana: ($err)
  grafana: the lab goes on without Grafana; Prometheus has the graphs
  grafana: (port 9090). Rerun the provisioning where the repository can
  grafana: be reached to add it.
  ************************************************************************
MSG
		printf 'absent: %s cannot be reached (%s)\n' "$repo" "$err" >"$status"
		exit 0
	fi
	install -d -m 0755 /etc/apt/keyrings
	gpg --batch --yes --dearmor -o /etc/apt/keyrings/grafana.gpg "$key"
	echo "deb [signed-by=/etc/apt/keyrings/grafana.gpg] $repo stable main" >/etc/apt/sources.list.d/grafana.list
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends grafana >/dev/null
fi
for hook in "$KWARDEN_PROVISION"/grafana.d/*.sh; do
	[[ -e $hook ]] || continue
	say "grafana hook ${hook##*/}"
	bash "$hook"
done
printf 'installed: %s\n' "$(dpkg-query -W -f='${Version}' grafana)" >"$status"
enable_units grafana-server.service
