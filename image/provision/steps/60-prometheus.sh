#!/usr/bin/env bash
# Prometheus from Debian, scraping kwardend's /metrics every 10 s with the
# machine's token: the lab has graphs even where Grafana cannot be
# installed (http://127.0.0.1:9090 on the host).
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

install_file prometheus.yml /etc/prometheus/prometheus.yml 0644
# The API token's copy for Prometheus is made at first boot; where the
# machine already has its token (a rerun, a live machine), make it now.
if [[ -f /etc/kwarden/api.token ]]; then
	/usr/lib/kwarden/lab/kwarden-lab-token "$KWARDEN_LAB_USER" >/dev/null
fi
enable_units prometheus.service
