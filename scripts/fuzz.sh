#!/usr/bin/env bash
# Runs each fuzz target "pkg:Func" given as arguments for $FUZZTIME.
#
# Go 1.26's fuzz coordinator can fail a target at the end of a duration
# -fuzztime with a bare "context deadline exceeded": its deadline races
# the workers' shutdown (golang/go#75804, fixed in Go 1.27). That failure
# writes no failing input. A run that fails that way, and only that way,
# is run once more; any other failure, or a written failing input, fails.
set -uo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # pkg fn
	"$GO" test -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 200x "$1" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

coordinator_race() {
	grep -q '^    context deadline exceeded$' "$log" &&
		! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"
}

for t in "$@"; do
	pkg=${t%%:*} fn=${t##*:}
	if run "$pkg" "$fn"; then
		continue
	fi
	if coordinator_race; then
		echo "fuzz: $fn hit Go's fuzztime deadline race (golang/go#75804), no failing input: running it again"
		run "$pkg" "$fn" && continue
	fi
	echo "fuzz: $fn failed"
	exit 1
done
