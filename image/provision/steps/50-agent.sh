#!/usr/bin/env bash
# kwardend, kwardenctl, kwarden-spawn and their units (make install's
# layout under PREFIX=/usr), the policy plugins in a root-owned
# directory with the catalogue of their SHA-256s, kwardend's
# configuration (the course's rule B, quota, by default), the API token
# made at first boot, and the generator's timer (on unless
# KWARDEN_GENERATOR=off).
set -euo pipefail
source "$KWARDEN_PROVISION/lib.sh"

root=$KWARDEN_PAYLOAD/root
for b in kwardend kwardenctl kwarden-spawn; do
	install -m 0755 "$root/usr/bin/$b" /usr/bin/$b
done
for u in kwardend.service kwarden-spawn.service kwarden-spawn.timer; do
	install -m 0644 "$root/usr/lib/systemd/system/$u" /usr/lib/systemd/system/$u
done

# The policies: kwardend runs only what catalogue.json vouches for, from
# a directory only root can write.
pdir=/usr/lib/kwarden/policies
install -d -m 0755 /usr/lib/kwarden "$pdir"
rm -f "$pdir"/kwarden-policy-*
entries=()
for p in "$root"/usr/lib/kwarden/policies/kwarden-policy-*; do
	name=${p##*/kwarden-policy-}
	install -m 0755 "$p" "$pdir/kwarden-policy-$name"
	sum=$(sha256sum "$pdir/kwarden-policy-$name" | cut -d' ' -f1)
	entries+=("$(jq -cn --arg n "$name" --arg s "$sum" '{name: $n, sha256: $s}')")
done
[[ ${#entries[@]} -gt 0 ]] || { echo "agent: no policy binaries in the payload" >&2; exit 1; }
printf '%s\n' "${entries[@]}" | jq -s '{policies: .}' >"$pdir/catalogue.json.new"
chmod 0644 "$pdir/catalogue.json.new"
mv "$pdir/catalogue.json.new" "$pdir/catalogue.json"
jq -e --arg p "$KWARDEN_POLICY" 'any(.policies[]; .name == $p)' "$pdir/catalogue.json" >/dev/null ||
	{ echo "agent: policy $KWARDEN_POLICY is not in the catalogue" >&2; exit 1; }
say "catalogue: $(jq -r '[.policies[].name] | join(", ")' "$pdir/catalogue.json")"

# kwardend listens beyond loopback (qemu's and Vagrant's forwards reach
# the guest's interface, not its loopback), so it needs a token: made at
# first boot, one copy each for kwardend, Prometheus and the student.
install -d -m 0755 /etc/kwarden
install_file kwarden-lab-token /usr/lib/kwarden/lab/kwarden-lab-token 0755
sed "s/@USER@/$KWARDEN_LAB_USER/" "$KWARDEN_PROVISION/files/kwarden-lab-token.service" >/etc/systemd/system/kwarden-lab-token.service
chmod 0644 /etc/systemd/system/kwarden-lab-token.service
install_file kwarden-profile.sh /etc/profile.d/kwarden.sh 0644
# Course mode writes the course's final graphs whenever kwardend stops
# (a shutdown of the lab included) into a directory everyone can read.
# It leaves the generator's timer alone: a reboot of the lab must not
# end its generator (the teacher's section of docs/lab says how to have
# the course's full shutdown, timer removal included).
install -d -m 0755 /var/lib/kwarden-graphs
config=$(jq -n --arg use "$KWARDEN_POLICY" --slurpfile cfg "$KWARDEN_PROVISION/files/quota-rule-b.json" '{
	listen: "0.0.0.0:9070",
	token_file: "/etc/kwarden/api.token",
	policy: {dir: "/usr/lib/kwarden/policies", use: $use,
		config: (if $use == "quota" then $cfg[0] else null end),
		protect: {names: ["grafana", "prometheus"]}},
	course: {report_dir: "/var/lib/kwarden-graphs", generator_timer: ""}
} | if .policy.config == null then del(.policy.config) else . end')
printf '%s\n' "$config" >/etc/kwarden/kwardend.json
chmod 0600 /etc/kwarden/kwardend.json

# The generator: the course's profile, after the images are loaded.
printf 'KWARDEN_PROFILE=%s\n' "$KWARDEN_SPAWN_PROFILE" >/etc/default/kwarden-spawn
install_file kwarden-spawn-images.conf /etc/systemd/system/kwarden-spawn.service.d/images.conf 0644

enable_units kwarden-lab-token.service kwardend.service
case $KWARDEN_GENERATOR in
on) enable_units kwarden-spawn.timer ;;
off)
	systemctl disable --quiet kwarden-spawn.timer 2>/dev/null || true
	[[ $KWARDEN_MODE == live ]] && systemctl stop kwarden-spawn.timer
	say "generator off (KWARDEN_GENERATOR=off)"
	;;
*) echo "agent: KWARDEN_GENERATOR=$KWARDEN_GENERATOR, want on or off" >&2; exit 1 ;;
esac
