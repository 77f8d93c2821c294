// Package configs ships the course cohorts' rules as profiles of the
// built-in kill policies, so that a teacher reproduces any cohort's
// manager by name, with no code and no configuration written.
//
// A profile is one JSON file in this directory, embedded in the binary:
//
//	{"policy": "quota", "interval": "20s", "config": {...}}
//
// policy names the built-in policy (its binary is kwarden-policy-<policy>),
// interval is the agent's loop interval the cohort ran at (rule A at
// 10 s, rule B at 20 s; later cohorts allowed 20 to 60 s, which the
// teacher sets on the agent), and config is the policy's configuration,
// decoded over the policy's defaults as the plugin decodes it. The
// profiles:
//
//   - rule-a: newest-per-kind, remove all but the newest of each kind;
//   - rule-b-measured-1.3-2.0 and rule-b-measured-20-20: quota, 2 high
//     and 3 low kept, classes measured with the two cohorts' CPU % and
//     RAM % thresholds;
//   - rule-b-kind: quota, classes from the kind label.
//
// The test runs each file through its policy's real decoding and
// Validate, and decides a round of the course's generator with it.
package configs
