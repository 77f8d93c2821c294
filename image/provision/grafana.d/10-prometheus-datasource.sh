#!/usr/bin/env bash
# Grafana hook: the lab's Prometheus as Grafana's default datasource. The
# Grafana plugin's issue adds its own hook here (the plugin and its
# provisioning): every *.sh in grafana.d/ runs, in order, once Grafana is
# installed.
set -euo pipefail
install -d -m 0755 /etc/grafana/provisioning/datasources
cat >/etc/grafana/provisioning/datasources/kwarden-prometheus.yaml <<'YAML'
apiVersion: 1
datasources:
  - name: Prometheus (kwarden lab)
    type: prometheus
    access: proxy
    url: http://127.0.0.1:9090
    isDefault: true
YAML
