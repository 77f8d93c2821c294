#!/usr/bin/env bash
# make payload: everything the provisioning path installs, in one
# directory (out/payload) that the offline builder copies into its
# chroot and Packer and Vagrant upload:
#   provision/  the steps (image/provision)
#   root/       make install's tree under PREFIX=/usr, and the policy plugins
#   kmod/       the module's source and dkms.conf
#   images/     kwarden/load:<kind>, docker save'd (built by a private dockerd)
#   keys/       Vagrant's insecure public key (Debian's vagrant package)
#   cloud-init/ the seed with which Packer's base (Debian's cloud image)
#               makes the vagrant user (image/kwarden.pkr.hcl)
#   grafana/    the Grafana plugin (make grafana-plugin: plugin/, its dist)
#               and its provisioning files (provisioning/)
#   lab/        the lab guide (docs/lab), for the student's home
#   VERSION     git describe
# The saved images are cached under ~/.cache/kwarden/image by the
# checksum of what goes into them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${KWARDEN_PAYLOAD_DIR:-out/payload}
cache=${KWARDEN_CACHE:-$HOME/.cache/kwarden}/image
MAKE=${MAKE:-make}
GO=${GO:-go}
DOCKER=${DOCKER:-/usr/bin/docker}
say() { echo "payload: $*"; }

new=$out.new
rm -rf "$new"
mkdir -p "$new"/{root,kmod,images,keys} "$cache"
cp -a image/provision "$new/provision"

say "binaries (make install PREFIX=/usr)"
"$MAKE" -s install DESTDIR="$PWD/$new/root" PREFIX=/usr >/dev/null
install -d "$new/root/usr/lib/kwarden/policies"
for p in bin/kwarden-policy-*; do
	install -m 0755 "$p" "$new/root/usr/lib/kwarden/policies/"
done
cp kmod/*.c kmod/*.h kmod/Kbuild kmod/Makefile kmod/dkms.conf "$new/kmod/"

key=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | sort -V | tail -1 || true)
[[ -n $key ]] || { echo "payload: Vagrant's insecure key not found: apt-get install vagrant (make deps)" >&2; exit 1; }
cp "$key" "$new/keys/vagrant.pub"
mkdir -p "$new/cloud-init"
printf 'instance-id: kwarden-lab\nlocal-hostname: kwarden-lab\n' >"$new/cloud-init/meta-data"
cat >"$new/cloud-init/user-data" <<SEED
#cloud-config
users:
  - name: vagrant
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys:
      - $(cat "$key")
SEED

# The workload images: built FROM scratch by scripts/images.sh in a
# private dockerd (no bridge, no iptables), saved, and cached by the
# checksum of the binary and the Dockerfile template.
tmp=$(mktemp -d /tmp/kwimg-XXXXXX)
dpid=
cleanup() {
	if [[ -n $dpid ]]; then
		kill "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	# dockerd's overlay and shm mounts, deepest first.
	findmnt -rn -o TARGET | grep "^$tmp/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' -o "$tmp/kwarden-load" ./agent/cmd/kwarden-load
sum=$(cat "$tmp/kwarden-load" agent/load/Dockerfile.in scripts/images.sh | sha256sum | cut -c1-16)
saved=$cache/load-$sum.tar
if [[ -s $saved ]]; then
	say "workload images from the cache ($saved)"
else
	say "workload images: a private dockerd builds kwarden/load:<kind>"
	echo '{}' >"$tmp/daemon.json"
	dockerd --config-file "$tmp/daemon.json" --data-root "$tmp/data" --exec-root "$tmp/exec" \
		--pidfile "$tmp/dockerd.pid" --host "unix://$tmp/docker.sock" \
		--bridge=none --iptables=false --ip-masq=false --userland-proxy=false \
		--log-level=warn >"$tmp/dockerd.log" 2>&1 &
	dpid=$!
	for _ in $(seq 300); do
		"$DOCKER" --host "unix://$tmp/docker.sock" version >/dev/null 2>&1 && break
		kill -0 "$dpid" 2>/dev/null || { cat "$tmp/dockerd.log" >&2; exit 1; }
		sleep 0.2
	done
	export DOCKER_HOST=unix://$tmp/docker.sock
	DOCKER=$DOCKER scripts/images.sh
	"$DOCKER" save -o "$tmp/load.tar" kwarden/load:cpu kwarden/load:ram kwarden/load:io kwarden/load:disk kwarden/load:low
	rm -f "$cache"/load-*.tar
	mv "$tmp/load.tar" "$saved"
fi
cp "$saved" "$new/images/kwarden-load.tar"

say "the Grafana plugin (make grafana-plugin) and its provisioning; the lab guide"
"$MAKE" -s grafana-plugin >/dev/null
install -d "$new/grafana"
cp -a grafana-plugin/dist "$new/grafana/plugin"
cp -a grafana-plugin/provisioning "$new/grafana/provisioning"
cp -a docs/lab "$new/lab"

git describe --always --dirty >"$new/VERSION" 2>/dev/null || echo unknown >"$new/VERSION"
rm -rf "$out"
mv "$new" "$out"
say "ready in $out ($(du -sh "$out" | cut -f1), $(cat "$out/VERSION"))"
