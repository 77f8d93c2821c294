#!/usr/bin/env bash
# The kwarden datasource plugin and its provisioning (the datasource,
# the four dashboards, the setting that allows the unsigned plugin),
# where Grafana looks for them. They go in place whether or not Grafana
# could be installed (70-grafana.sh): a Grafana installed later finds
# them, and the image test checks them either way.
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

src=$KWARDEN_PAYLOAD/grafana
plugin=/var/lib/grafana/plugins/kwarden-agent-datasource
owner=root
if id grafana >/dev/null 2>&1; then owner=grafana; fi

rm -rf "$plugin.new"
install -d -m 0755 /var/lib/grafana/plugins
cp -a "$src/plugin" "$plugin.new"
chmod -R u=rwX,go=rX "$plugin.new"
chmod 0755 "$plugin.new"/gpx_*
chown -R "$owner:$owner" "$plugin.new"
rm -rf "$plugin"
mv "$plugin.new" "$plugin"
say "plugin $(jq -r '.id + " " + .info.version' "$plugin/plugin.json") in $plugin"

prov=/etc/grafana/provisioning
install -d -m 0755 "$prov/datasources" "$prov/dashboards/kwarden"
# The agent's token: a file the first boot writes for Grafana
# (kwarden-lab-token), which Grafana's provisioning reads with $__file.
sed 's|token: \$KWARDEN_TOKEN|token: $__file{/etc/grafana/kwarden.token}|' "$src/provisioning/datasources/kwarden.yaml" \
	>"$prov/datasources/kwarden.yaml"
chmod 0644 "$prov/datasources/kwarden.yaml"
grep -q '__file{/etc/grafana/kwarden.token}' "$prov/datasources/kwarden.yaml" ||
	{ echo "grafana plugin: the datasource's token line is not where it was" >&2; exit 1; }
install -m 0644 "$src/provisioning/dashboards/kwarden.yaml" "$prov/dashboards/kwarden.yaml"
install -m 0644 "$src/provisioning/dashboards/kwarden/"*.json "$prov/dashboards/kwarden/"
install -D -m 0644 "$src/provisioning/grafana.ini" /usr/share/kwarden/grafana/grafana.ini
say "datasource and $(ls "$prov/dashboards/kwarden" | wc -l) dashboards under $prov"

# Allow the unsigned plugin where Grafana is installed: its own file
# (merged once, between markers) and its environment file, which
# Debian's grafana-server unit reads and which overrides the file.
# Neither is made where Grafana is absent: the package ships both, and
# dpkg would stop to ask about a file it did not make. The fragment
# stays in /usr/share/kwarden/grafana for a Grafana installed later.
ini=/etc/grafana/grafana.ini
if [[ -f $ini ]] && ! grep -q '^; kwarden: begin' "$ini"; then
	{ echo '; kwarden: begin'; cat "$src/provisioning/grafana.ini"; echo '; kwarden: end'; } >>"$ini"
	say "allowed the unsigned plugin in $ini"
fi
env=/etc/default/grafana-server
if [[ -f $env ]] && ! grep -q '^GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=' "$env"; then
	echo 'GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=kwarden-agent-datasource' >>"$env"
fi
if [[ $KWARDEN_MODE == live ]] && systemctl is-enabled --quiet grafana-server.service 2>/dev/null; then
	systemctl restart grafana-server.service
fi
