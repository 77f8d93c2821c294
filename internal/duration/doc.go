// Package duration parses the durations people type into kwarden: Go's
// syntax ("1h30m", "250ms", "1.5h") plus days and weeks ("31d", "1w2d",
// "1.5d"), which Go's time.ParseDuration refuses. Every duration a user
// gives (API time parameters, configuration, flags, kwardenctl) goes
// through Parse, so "now-31d" and "retention": "7d" work alike.
//
// A day is 24 hours and a week 7 days: these are lengths of time, not
// calendar units (a day that crosses a daylight-saving change is still
// 24 hours). Prometheus's model.ParseDuration has the same units, but
// not fractions, and it would link protobuf into every client.
package duration
