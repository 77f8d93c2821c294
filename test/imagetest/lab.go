package imagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kwarden/kwarden/agent/apiv1"
)

// Workload counts a course generator's running containers by class, as
// the quota policy's "kind" classes have it: cpu, ram, io and disk are
// high, low is low.
type Workload struct{ High, Low int }

// CountWorkload counts the running containers the generator started
// (label kwarden.spawned=true).
func CountWorkload(cs []apiv1.ContainerFigures) Workload {
	var w Workload
	for _, c := range cs {
		if !c.Running || c.Labels["kwarden.spawned"] != "true" {
			continue
		}
		switch c.Labels["kwarden.kind"] {
		case "low":
			w.Low++
		case "cpu", "ram", "io", "disk":
			w.High++
		}
	}
	return w
}

// Steady reports whether a cross-check found both views in agreement:
// processes matched, none missing from either view, no drift.
func Steady(a apiv1.CrossCheckAnswer) (bool, string) {
	switch {
	case !a.Available || a.Result == nil:
		return false, "cross-check unavailable: " + a.Reason
	case a.Result.Matched == 0:
		return false, "no process matched"
	case len(a.Result.Missing) > 0:
		return false, fmt.Sprintf("%d missing (first: %+v)", len(a.Result.Missing), a.Result.Missing[0])
	case len(a.Result.Drift) > 0:
		return false, fmt.Sprintf("%d drifted (first: %+v)", len(a.Result.Drift), a.Result.Drift[0])
	}
	return true, fmt.Sprintf("%d matched, %d fields compared, %d churn", a.Result.Matched, a.Result.FieldsCompared, len(a.Result.Churn))
}

// PromQuery runs an instant PromQL query against a Prometheus at addr
// and returns the number of series in its answer.
func PromQuery(ctx context.Context, addr, query string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	u := "http://" + addr + "/api/v1/query?query=" + url.QueryEscape(query)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("prometheus query %q: %w", query, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, fmt.Errorf("prometheus query %q: %w", query, err)
	}
	return ParsePromAnswer(b)
}

// ParsePromAnswer returns the number of series in a Prometheus query
// answer, or its error.
func ParsePromAnswer(b []byte) (int, error) {
	var a struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return 0, fmt.Errorf("parse prometheus answer %.200q: %w", b, err)
	}
	if a.Status != "success" {
		return 0, fmt.Errorf("prometheus: %s: %s", a.Status, a.Error)
	}
	return len(a.Data.Result), nil
}

// FailedUnits parses systemctl --failed --plain --no-legend: the names
// of failed units.
func FailedUnits(out string) []string {
	var units []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(l), "●")); len(f) > 0 {
			units = append(units, f[0])
		}
	}
	return units
}
