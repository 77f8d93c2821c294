// Package load is kwarden's workload generator, the part of the course's
// cron script that runs inside each container: one static binary
// (kwarden-load) with five kinds of load, so that images can be built
// FROM scratch and offline.
//
//	cpu   Workers goroutines, each on its own OS thread, spinning
//	ram   Bytes of memory touched once and re-touched every second, so it
//	      stays resident (one worker)
//	io    a sync loop: Workers goroutines writing 4 KiB and fsyncing
//	disk  Bytes written to a file once (in 1 MiB blocks, fsynced), then idle
//	low   nothing: sleeps
//
// Each kind runs until its Duration is over (0: until the context ends,
// which kwarden-load ties to SIGTERM, so docker stop is immediate).
//
// Dockerfile.in is the template of the images kwarden/load:<kind>:
// scripts/images.sh (make images) fills in the kind.
package load
