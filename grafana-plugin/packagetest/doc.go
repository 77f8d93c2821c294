// Package packagetest checks the built plugin package as Grafana's
// online validator would (it cannot run here): plugin.json's required
// keys and id, an executable for each architecture, mode 0755 and
// static, alerting only with a backend, module.js, and a zip whose one
// top folder is the plugin's id. Build first: make grafana-plugin.
package packagetest
