package models

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The query types: what a panel asks of the agents. Grafana sends the
// type as the DataQuery's queryType; the plugin routes on it with the
// SDK's QueryTypeMux.
const (
	QuerySystem     = "system"     // memory and CPU over time
	QueryContainers = "containers" // per-container series, the removals over time, or a table
	QueryTop        = "top"        // the top N containers by a figure over the range
	QueryProcesses  = "processes"  // the process count over time, or the top processes
	QueryEvents     = "events"     // kills, decisions and the rest: a table or annotations
	QueryCrossCheck = "crosscheck" // module vs eBPF: agreement over time, discrepancies
	QueryPolicy     = "policy"     // the active policy and its history
)

// QueryTypes lists every query type, in the editor's order.
var QueryTypes = []string{QuerySystem, QueryContainers, QueryTop, QueryProcesses, QueryEvents, QueryCrossCheck, QueryPolicy}

// Views: the shapes each query type answers in; the first of each list
// is its default.
var Views = map[string][]string{
	QuerySystem:     {"series"},
	QueryContainers: {"series", "removed", "table"},
	QueryTop:        {"series", "table"},
	QueryProcesses:  {"count", "top"},
	QueryEvents:     {"table", "annotations"},
	QueryCrossCheck: {"agreement", "discrepancies", "summary", "hidden"},
	QueryPolicy:     {"active", "history"},
}

// Fields are the figures a system or containers series query may pick,
// by the API's JSON names; the first ones are the default.
var (
	SystemFields = []string{"mem_total_bytes", "mem_used_bytes", "mem_free_bytes", "mem_available_bytes",
		"cpu_percent", "processes", "containers", "discrepancies", "hidden"}
	ContainerFields = []string{"cpu_percent", "rss_bytes", "ram_percent", "memory_usage_bytes",
		"memory_working_set_bytes", "read_bytes_per_second", "write_bytes_per_second", "processes", "threads"}
)

// TopFigures mirrors the agent's apiv1.TopFigures: what a ranking can be
// by.
var TopFigures = []string{"cpu_percent", "ram_percent", "rss_bytes", "memory_usage_bytes", "memory_working_set_bytes"}

// Bounds on what one query may ask for.
const (
	DefaultLimit      = 20  // containers' series, processes
	MaxLimit          = 200 // containers' series, processes
	DefaultTopN       = 5   // the course's "top 5"
	MaxTopN           = 100
	DefaultEventLimit = 1000
	MaxEventLimit     = 10000
)

// Query is one panel query: the JSON of a DataQuery. Every field is
// optional but QueryType (which Grafana also sends beside the JSON).
type Query struct {
	// QueryType is one of QueryTypes.
	QueryType string `json:"queryType"`
	// View is the answer's shape, one of Views[QueryType]; "" is the
	// first.
	View string `json:"view,omitempty"`
	// Agents are the agents asked, by name; none: every agent.
	Agents []string `json:"agents,omitempty"`
	// Fields are the figures of a system or containers series; none:
	// the type's defaults.
	Fields []string `json:"fields,omitempty"`
	// Class keeps the containers of this class (high, low); "" keeps all.
	Class string `json:"class,omitempty"`
	// Kind keeps the containers of this kwarden.kind (cpu, ram, io, disk,
	// low); "" keeps all.
	Kind string `json:"kind,omitempty"`
	// Name keeps the containers whose name matches this regular
	// expression (RE2, unanchored); "" keeps all.
	Name string `json:"name,omitempty"`
	// IncludeRemoved adds the removed containers the history holds.
	IncludeRemoved bool `json:"includeRemoved,omitempty"`
	// By is the figure a top query ranks by, one of TopFigures;
	// "" is cpu_percent.
	By string `json:"by,omitempty"`
	// Rank is mean (the default) or peak.
	Rank string `json:"rank,omitempty"`
	// Limit is how many: containers' series, processes, top's N, events.
	Limit int `json:"limit,omitempty"`
	// EventKind keeps the events whose kind starts with it (policy.,
	// docker., crosscheck.).
	EventKind string `json:"eventKind,omitempty"`
	// Live, for the frontend alone, follows the agents' stream
	// (RunStream) rather than query the history: such a query never
	// reaches QueryData.
	Live bool `json:"live,omitempty"`
}

// ParseQuery reads a query's JSON (queryType, Grafana's own, wins over
// the JSON's) and checks it, with the defaults filled in.
func ParseQuery(queryType string, raw json.RawMessage) (Query, error) {
	var q Query
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &q); err != nil {
			return q, fmt.Errorf("malformed query JSON: %w", err)
		}
	}
	if queryType != "" {
		q.QueryType = queryType
	}
	return q, q.check()
}

func (q *Query) check() error {
	views, ok := Views[q.QueryType]
	if !ok {
		return fmt.Errorf("query type %q: want one of %s", q.QueryType, strings.Join(QueryTypes, ", "))
	}
	if q.View == "" {
		q.View = views[0]
	}
	if !slices.Contains(views, q.View) {
		return fmt.Errorf("view %q of a %s query: want one of %s", q.View, q.QueryType, strings.Join(views, ", "))
	}
	switch q.QueryType {
	case QuerySystem:
		if err := checkFields(q.Fields, SystemFields); err != nil {
			return err
		}
	case QueryContainers:
		if err := checkFields(q.Fields, ContainerFields); err != nil {
			return err
		}
	}
	if q.Class != "" && q.Class != "high" && q.Class != "low" {
		return fmt.Errorf("class %q: want high, low or nothing", q.Class)
	}
	if _, err := regexp.Compile(q.Name); err != nil {
		return fmt.Errorf("name %q: not a regular expression: %w", q.Name, err)
	}
	if q.By == "" {
		q.By = "cpu_percent"
	}
	if !slices.Contains(TopFigures, q.By) {
		return fmt.Errorf("by %q: want one of %s", q.By, strings.Join(TopFigures, ", "))
	}
	if q.Rank == "" {
		q.Rank = "mean"
	}
	if q.Rank != "mean" && q.Rank != "peak" {
		return fmt.Errorf("rank %q: want mean or peak", q.Rank)
	}
	def, most := DefaultLimit, MaxLimit
	switch q.QueryType {
	case QueryTop:
		def, most = DefaultTopN, MaxTopN
	case QueryEvents, QueryCrossCheck, QueryPolicy:
		def, most = DefaultEventLimit, MaxEventLimit
	}
	if q.Limit == 0 {
		q.Limit = def
	}
	if q.Limit < 1 || q.Limit > most {
		return fmt.Errorf("limit %d: want 1 to %d", q.Limit, most)
	}
	return nil
}

func checkFields(fields, allowed []string) error {
	for _, f := range fields {
		if !slices.Contains(allowed, f) {
			return fmt.Errorf("field %q: want some of %s", f, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// NameFilter is the compiled Name ("" matches every name).
func (q *Query) NameFilter() *regexp.Regexp { return regexp.MustCompile(q.Name) }
