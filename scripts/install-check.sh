#!/usr/bin/env bash
# make install into scratch DESTDIRs: with PREFIX=/usr (the appliance's
# layout) every binary and unit is where it belongs with its mode, the
# binaries are static and stamped with the tree's version; with another
# PREFIX the units' ExecStart lines name that prefix's binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "install-check: $*" >&2; exit 1; }

"$MAKE" -s install DESTDIR="$t/usr-root" PREFIX=/usr >"$t/log" 2>&1 || { cat "$t/log"; fail "make install failed"; }
root=$t/usr-root
want=$(git describe --always --dirty)
for b in kwardend kwardenctl kwarden-load kwarden-spawn; do
	f=$root/usr/bin/$b
	test -f "$f" || fail "$f missing"
	test "$(stat -c %a "$f")" = 755 || fail "$f mode $(stat -c %a "$f"), want 755"
	# Static: no program interpreter (dynamic loader) to find.
	if readelf -l "$f" | grep -q 'Requesting program interpreter'; then fail "$f is not static"; fi
done
got=$("$root/usr/bin/kwarden-spawn" -version)
test "$got" = "kwarden-spawn $want" || fail "kwarden-spawn -version says \"$got\", want \"kwarden-spawn $want\""
for u in agent/systemd/*.service agent/systemd/*.timer; do
	f=$root/usr/lib/systemd/system/$(basename "$u")
	test -f "$f" || fail "$f missing"
	test "$(stat -c %a "$f")" = 644 || fail "$f mode $(stat -c %a "$f"), want 644"
	cmp -s "$u" "$f" || fail "$f differs from $u with PREFIX=/usr"
done
n=$(find "$root" -type f | wc -l)
test "$n" = 7 || { find "$root" -type f; fail "$n files installed, want 7"; }

"$MAKE" -s install DESTDIR="$t/opt-root" PREFIX=/opt/kwarden >"$t/log" 2>&1 || { cat "$t/log"; fail "make install PREFIX=/opt/kwarden failed"; }
units=$t/opt-root/opt/kwarden/lib/systemd/system
grep -q '^ExecStart=/opt/kwarden/bin/kwardend ' "$units/kwardend.service" || fail "kwardend.service: $(grep ExecStart "$units/kwardend.service")"
grep -q '^ExecStart=/opt/kwarden/bin/kwarden-spawn ' "$units/kwarden-spawn.service" || fail "kwarden-spawn.service: $(grep ExecStart "$units/kwarden-spawn.service")"
if grep -rq '/usr/bin/' "$units"; then fail "units still name /usr/bin: $(grep -r /usr/bin/ "$units")"; fi
test -x "$t/opt-root/opt/kwarden/bin/kwardend" || fail "/opt/kwarden/bin/kwardend missing"
echo "install-check: make install puts 4 binaries and 3 units in place (PREFIX=/usr and /opt/kwarden)"
