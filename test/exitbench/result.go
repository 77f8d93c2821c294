package exitbench

// Result is fork+exit throughput with and without the eBPF exit hook,
// in alternating rounds of Seconds each. It is also the record the VM
// guest emits (package report holds the other scenarios' records), so
// Error carries why a guest could not measure.
type Result struct {
	Hook        string  `json:"hook"`
	Rounds      int     `json:"rounds"`
	Seconds     float64 `json:"seconds"`
	WithoutRate float64 `json:"without_per_s"` // median forks+exits per second
	WithRate    float64 `json:"with_per_s"`
	CostPct     float64 `json:"cost_pct"` // median over pairs of (without − with) / without
	CostMinPct  float64 `json:"cost_min_pct"`
	CostMaxPct  float64 `json:"cost_max_pct"`
	Exits       int     `json:"exits"` // exit events read while hooked
	// HookNsPerRun is the exit program's own run time per invocation,
	// as the kernel counts it (bpf_stats); HookSharePct is that time per
	// process exit as a share of one fork+exit cycle without the hook.
	HookNsPerRun float64 `json:"hook_ns_per_run"`
	HookSharePct float64 `json:"hook_share_pct"`
	Error        string  `json:"error,omitempty"`
}
