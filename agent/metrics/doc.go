// Package metrics is kwardend's /metrics: a Prometheus collector over
// the daemon's last tick and, at each scrape, the cgroup figures only
// Prometheus wants (agent/source.StatsReader), registered with Go's
// runtime and process collectors and kwarden_build_info in a registry
// of its own, served with client_golang (text or OpenMetrics, as the
// scraper asks).
//
// Names: cAdvisor's, with cAdvisor's meanings, for every figure cAdvisor
// has (so that dashboards and alerts written for cAdvisor work), under
// cAdvisor's labels (id, the cgroup path; name; image; a
// container_label_<key> for each Docker label, sanitised); kwarden's
// own figures under kwarden_ names. The machine's series are those of
// id="/", as cAdvisor gives them. docs/api.md lists what is exported
// and what is not, and why.
package metrics
