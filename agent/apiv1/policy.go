package apiv1

import (
	"encoding/json"
	"time"
)

// PolicyAnswer is the kill-policy loop: the active policy, the
// enforcer's mode and the last decisions.
type PolicyAnswer struct {
	// Enabled is false when kwardend runs without a policy directory:
	// there is no loop and nothing is ever killed.
	Enabled bool `json:"enabled"`
	// DryRun is true when decisions are recorded and none acted on.
	DryRun bool `json:"dry_run"`
	// Active is the selected policy; absent when none is.
	Active *PolicyStatus `json:"active,omitempty"`
	// Recent are the last decisions and what came of them, oldest first.
	Recent []PolicyDecision `json:"recent"`
}

// PolicyStatus is a running policy plugin.
type PolicyStatus struct {
	// Name is its catalogue name.
	Name string `json:"name"`
	// Version is as the plugin gives it.
	Version string `json:"version"`
	// Description is the plugin's sentence on what it does.
	Description string `json:"description,omitempty"`
	// SHA256 is its binary's checksum, verified before it ran.
	SHA256 string `json:"sha256"`
	// Config is its configuration, as given.
	Config json.RawMessage `json:"config,omitempty"`
	// Started is when the running process started.
	Started time.Time `json:"started,omitzero"`
	// Protocol is the plugin protocol version negotiated.
	Protocol int `json:"protocol"`
	// Healthy is false while it is down, waiting to be restarted.
	Healthy bool `json:"healthy"`
	// Restarts counts restarts after crashes and hangs since selected.
	Restarts int `json:"restarts"`
	// LastError is its last failure.
	LastError string `json:"last_error,omitempty"`
}

// PolicyDecision is one decision of a policy and its outcome: the audit
// record, as the policy.decision events hold it.
type PolicyDecision struct {
	// Time is when the round that decided ran.
	Time time.Time `json:"time"`
	// Round counts the loop's rounds.
	Round uint64 `json:"round"`
	// Trigger is why the round ran: tick, pressure, oom or dry-run.
	Trigger string `json:"trigger"`
	// Policy is the deciding policy's catalogue name.
	Policy string `json:"policy"`
	// Version is that policy's version.
	Version string `json:"version"`
	// SHA256 is that policy's binary's checksum.
	SHA256 string `json:"sha256"`
	// ContainerID is what the policy named.
	ContainerID string `json:"container_id"`
	// Name is the container's, when the policy named a running container
	// of the round.
	Name string `json:"name,omitempty"`
	// Class is the container's class at the decision.
	Class string `json:"class,omitempty"`
	// Kind is the container's kwarden.kind label.
	Kind string `json:"kind,omitempty"`
	// CPUPercent is the container's CPU % (of one core) at the decision.
	CPUPercent float64 `json:"cpu_percent"`
	// RAMPercent is its RSS ÷ the machine's memory, in %, at the decision.
	RAMPercent float64 `json:"ram_percent"`
	// RSSBytes is its processes' resident memory at the decision.
	RSSBytes uint64 `json:"rss_bytes"`
	// WorkingSetBytes is its memory cgroup's working set at the decision.
	WorkingSetBytes uint64 `json:"memory_working_set_bytes"`
	// Action is stop, kill or remove.
	Action string `json:"action"`
	// Reason is the policy's sentence for the decision.
	Reason string `json:"reason"`
	// Outcome is done, refused, dry-run, rate-limited or failed.
	Outcome string `json:"outcome"`
	// Why says why the outcome is refused, rate-limited or failed.
	Why string `json:"why,omitempty"`
	// DecideMs is the policy's round trip, in ms.
	DecideMs float64 `json:"decide_ms"`
	// ActMs is how long the action took, in ms.
	ActMs float64 `json:"act_ms"`
}

// PolicyCatalogueAnswer lists the policies kwardend may run.
type PolicyCatalogueAnswer struct {
	// Dir is the policy directory.
	Dir string `json:"dir"`
	// Policies are the catalogue's entries, by name.
	Policies []PolicyEntry `json:"policies"`
}

// PolicyEntry is one policy of the catalogue.
type PolicyEntry struct {
	// Name is the policy's name; its binary is kwarden-policy-<name>.
	Name string `json:"name"`
	// SHA256 is the checksum its binary must have.
	SHA256 string `json:"sha256"`
	// Active is true for the selected policy.
	Active bool `json:"active"`
}

// PolicyRequest names a policy and its configuration: the body of
// POST /api/v1/policy/use and /api/v1/policy/dry-run.
type PolicyRequest struct {
	// Name is a catalogue name; for a dry run, "" is the active policy.
	Name string `json:"name"`
	// Config is the policy's configuration; absent: its defaults (for a
	// dry run of the active policy: its current configuration).
	Config json.RawMessage `json:"config,omitempty"`
	// At, for a dry run only, replays the history: the policy decides
	// on the recorded tick at or before this time, after the recorded
	// ticks before it (up to 120) have set its timers. Absent: the last
	// tick.
	At time.Time `json:"at,omitzero"`
}

// PolicyDryRunAnswer is what a policy would do on the last tick; nothing
// was acted on.
type PolicyDryRunAnswer struct {
	// Policy is the policy that was asked.
	Policy PolicyStatus `json:"policy"`
	// Decisions are its decisions and what the enforcer would make of
	// them (dry-run, or refused and why).
	Decisions []PolicyDecision `json:"decisions"`
	// Tick is the time of the tick it decided on.
	Tick time.Time `json:"tick"`
	// Replayed counts the recorded ticks a replay fed the policy before
	// that one; absent for the last tick.
	Replayed int `json:"replayed,omitempty"`
	// Folded is true when the replayed tick is past the raw retention:
	// its figures are one minute's averages.
	Folded bool `json:"folded,omitempty"`
}
