package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// All are the provisioned dashboards by file name.
func All() map[string]*dashboard.DashboardBuilder {
	return map[string]*dashboard.DashboardBuilder{
		"kwarden-containers.json": Containers(),
		"kwarden-system.json":     System(),
		"kwarden-crosscheck.json": CrossCheck(),
		"kwarden-policy.json":     Policy(),
	}
}

// JSON builds a dashboard (the SDK checks its model, the targets check
// themselves against pkg/models) and writes it as Grafana's file
// provisioning reads it.
func JSON(b *dashboard.DashboardBuilder) ([]byte, error) {
	d, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("build the dashboard: %w", err)
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
