// Package report draws the course's final graphs from kwardend's
// history: the machine's RAM and CPU over time, and the containers that
// used the most RAM and the most CPU over time, removed ones included
// (the course counts the containers its policy deleted in its "top 5"),
// as SVG or PNG files.
//
// It reads the history through Source, three calls that kwardend's
// store (at its stop, in course mode) and kwardenctl's API client
// (kwardenctl report) both answer, and knows only the API's wire types
// (agent/apiv1). kwardenctl links it, so it links none of the agent: no
// store, daemon, Docker or eBPF (agent/client's TestClientsLinkNoAgent).
//
// Reading (Collect), drawing (Render) and writing (Write) are apart:
// Render is a function of the data alone, tested on fixed data, and
// Write puts each file in place whole (internal/safefile.WriteFile).
// The graphs are drawn by gonum.org/v1/plot rather than by hand: its
// SVG escapes text, and its axes, ticks and legends are done.
package report
