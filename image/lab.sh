#!/usr/bin/env bash
# make lab: the kwarden lab without Vagrant. Boots out/image/kwarden-lab.qcow2
# under qemu (KVM where a probe shows it works, else TCG) with user-mode
# networking, forwarding only to the host's 127.0.0.1; waits until the
# agent is healthy; prints the URLs and the next commands.
#
#   image/lab.sh start | stop | status | ssh [COMMAND...]
#
# The lab's disk is out/lab/disk.qcow2, a copy-on-write layer over the
# image, kept across starts (the agent's history stays); a rebuilt image
# starts a fresh layer. Settings (environment): KWARDEN_LAB_API_PORT
# (9070), KWARDEN_LAB_PROMETHEUS_PORT (9090), KWARDEN_LAB_GRAFANA_PORT
# (3000), KWARDEN_LAB_SSH_PORT (2222), KWARDEN_LAB_ACCEL (auto, kvm,
# tcg), KWARDEN_LAB_MEMORY (MiB, 3072), KWARDEN_LAB_CPUS (2),
# KWARDEN_LAB_TIMEOUT (s to wait for the agent, 900).
set -euo pipefail
cd "$(dirname "$0")/.."

image=$(realpath -m "${KWARDEN_IMAGE:-out/image/kwarden-lab.qcow2}")
dir=$(realpath -m "${KWARDEN_LAB_DIR:-out/lab}")
api=${KWARDEN_LAB_API_PORT:-9070}
prom=${KWARDEN_LAB_PROMETHEUS_PORT:-9090}
graf=${KWARDEN_LAB_GRAFANA_PORT:-3000}
sshp=${KWARDEN_LAB_SSH_PORT:-2222}
mem=${KWARDEN_LAB_MEMORY:-3072}
cpus=${KWARDEN_LAB_CPUS:-2}
wait_s=${KWARDEN_LAB_TIMEOUT:-900}
key=$dir/vagrant.key
t0=$(date +%s)
say() { printf '[%4ds] lab: %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
die() { echo "lab: $*" >&2; exit 1; }

running() { [[ -f $dir/qemu.pid ]] && kill -0 "$(cat "$dir/qemu.pid")" 2>/dev/null; }

lab_ssh() {
	ssh -i "$key" -p "$sshp" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=yes vagrant@127.0.0.1 "$@"
}

# kvm_works: boots the image's kernel alone under KVM: where KVM works it
# panics (no root file system) within seconds; where guests hang (as on
# the project's build machines) nothing comes. The answer is kept.
kvm_works() {
	[[ -w /dev/kvm ]] || return 1
	if [[ -f $dir/accel ]]; then [[ $(cat "$dir/accel") == kvm ]]; return; fi
	local log=$dir/kvm-probe.log
	say "probing KVM (10 s at most)"
	timeout 10 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$(dirname "$image")/vmlinuz" -append "console=ttyS0 panic=-1 loglevel=3" >"$log" 2>&1 || true
	if grep -aq -e 'Kernel panic' -e 'VFS:' "$log"; then echo kvm >"$dir/accel"; return 0; fi
	echo tcg >"$dir/accel"
	return 1
}

print_next() {
	cat <<MSG

  The kwarden lab is up ($(cat "$dir/accel-used"), console log $dir/console.log).

    agent API    http://127.0.0.1:$api/api/v1/health    (token: $dir/api.token)
    Prometheus   http://127.0.0.1:$prom/graph?g0.expr=container_memory_rss
    Grafana      http://127.0.0.1:$graf    ($(lab_ssh cat /etc/kwarden/grafana.status 2>/dev/null || echo unknown))
    SSH          image/lab.sh ssh        (vagrant@127.0.0.1 -p $sshp, Vagrant's insecure key)

  Next:
    image/lab.sh ssh kwardenctl status
    image/lab.sh ssh less LAB.md
    curl -H "Authorization: Bearer \$(cat $dir/api.token)" http://127.0.0.1:$api/api/v1/containers
    KWARDEN_TOKEN_FILE=$dir/api.token bin/kwardenctl -addr 127.0.0.1:$api status
    make lab-stop
MSG
}

start() {
	[[ -f $image ]] || die "no image at $image: run make image"
	mkdir -p "$dir"
	if running; then
		say "already running (pid $(cat "$dir/qemu.pid"))"
		print_next
		return
	fi
	install -m 0600 "$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant | sort -V | tail -1)" "$key"
	stamp=$(cat "$image.inputs" 2>/dev/null | sha256sum | cut -c1-16)
	if [[ -f $dir/disk.qcow2 && $(cat "$dir/disk.image" 2>/dev/null) != "$stamp" ]]; then
		say "the image was rebuilt: the lab's disk starts anew (the old one's history goes)"
		rm -f "$dir/disk.qcow2" "$dir/api.token"
	fi
	if [[ ! -f $dir/disk.qcow2 ]]; then
		qemu-img create -q -f qcow2 -F qcow2 -b "$image" "$dir/disk.qcow2"
		echo "$stamp" >"$dir/disk.image"
	fi
	accel=${KWARDEN_LAB_ACCEL:-auto}
	if [[ $accel == auto ]]; then
		if kvm_works; then accel=kvm; else accel=tcg; fi
	fi
	case $accel in
	kvm) accel_arg=kvm; cpu=(-cpu host) ;;
	# One TCG thread for all vCPUs: with one thread per vCPU, a stale
	# translation of kernel text that another vCPU has just patched
	# (static keys, int3) oopses the guest.
	tcg) accel_arg=tcg,thread=single; cpu=() ;;
	*) die "KWARDEN_LAB_ACCEL=$accel, want auto, kvm or tcg" ;;
	esac
	echo "$accel" >"$dir/accel-used"
	fwd="hostfwd=tcp:127.0.0.1:$api-:9070,hostfwd=tcp:127.0.0.1:$prom-:9090,hostfwd=tcp:127.0.0.1:$graf-:3000,hostfwd=tcp:127.0.0.1:$sshp-:22"
	say "booting $image under $accel ($cpus CPUs, $mem MiB); ports on 127.0.0.1: $api $prom $graf, ssh $sshp"
	rm -f "$dir/console.log"
	qemu-system-x86_64 -accel "$accel_arg" "${cpu[@]}" -m "$mem" -smp "$cpus" -name kwarden-lab \
		-drive "file=$dir/disk.qcow2,format=qcow2,if=virtio" \
		-nic "user,model=virtio-net-pci,restrict=on,$fwd" \
		-display none -serial "file:$dir/console.log" -daemonize -pidfile "$dir/qemu.pid"
	until curl -fsS -m 3 "http://127.0.0.1:$api/api/v1/health" 2>/dev/null | grep -q '"status":"ok"'; do
		running || die "qemu exited; console: $dir/console.log"
		(( $(date +%s) - t0 < wait_s )) || die "the agent is not healthy after $wait_s s; console: $dir/console.log"
		sleep 3
	done
	say "agent healthy"
	if [[ ! -s $dir/api.token ]]; then
		(umask 077; lab_ssh cat .config/kwarden/token >"$dir/api.token") || say "could not read the API token over SSH"
	fi
	print_next
}

stop() {
	running || { say "not running"; return; }
	pid=$(cat "$dir/qemu.pid")
	say "powering off (pid $pid)"
	lab_ssh sudo systemctl poweroff >/dev/null 2>&1 || true
	for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 2; done
	if kill -0 "$pid" 2>/dev/null; then say "no clean power-off in 120 s: killing qemu"; kill "$pid"; fi
	rm -f "$dir/qemu.pid"
	say "stopped; the lab's disk is kept ($dir/disk.qcow2)"
}

case ${1:-start} in
start) start ;;
stop) stop ;;
status) if running; then print_next; else say "not running"; exit 1; fi ;;
ssh)
	shift
	running || die "not running: make lab"
	# A command runs in a login shell, as a student's would: its profile
	# hands kwardenctl the API token.
	if (($#)); then set -- "bash -lc $(printf '%q' "$*")"; fi
	exec ssh -i "$key" -p "$sshp" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR vagrant@127.0.0.1 "$@"
	;;
*) die "usage: image/lab.sh start|stop|status|ssh [COMMAND...]" ;;
esac
