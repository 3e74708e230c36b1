#!/usr/bin/env bash
# The .deb under a booted systemd: install, services up, the watchdog and
# Restart= bringing them back, upgrade over queued records, remove, purge.
# The package is made by CPack from this build tree; a second one, the "next
# release", carries testsite-kioskctl-next (one schema migration more, as in
# ops_upgrade_test.sh). Both go into a Debian container booted with
# systemd-nspawn, where a oneshot unit runs ops_booted_install_guest.sh, writes
# its verdict to /root/kiosk-test/result and powers the container off. This
# script reads the verdict and prints the guest's log.
#
# Needs root, systemd-nspawn, debootstrap, overlayfs and the Debian mirror this
# machine's apt uses. Without them it fails (it never skips): a green run has
# always booted the package.
#
# The container's root (debootstrap plus the package's dependencies) is cached
# per day under $KIOSK_NSPAWN_CACHE (default $XDG_CACHE_HOME/testsite-kiosk/nspawn)
# and used read-only below an overlay, so nothing installed survives a run.
set -euo pipefail
build="$1"; version="$2"; next_kioskctl="$3"; queue="$4"; double="$5"; certs_script="$6"; seed="$7"
here=$(cd "$(dirname "$0")" && pwd)
boot_limit=${KIOSK_NSPAWN_BOOT_SECONDS:-540}   # the whole guest run; the guest's own limit is 60 s less
work=$(mktemp -d)
root="$work/root"   # the overlay the container boots

step() { echo "step: $*"; }
fail() { echo "FAILED at step: $*" >&2; exit 1; }
cleanup() {
  if mountpoint -q "$root"; then umount "$root" 2>/dev/null || umount -l "$root"; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# --- what this machine must offer ---------------------------------------------

# Without systemd on the host there is no machined to register with and no
# manager to make a scope: the container stays in this process's cgroup.
nspawn_host=(--register=no)
[ -d /run/systemd/system ] || nspawn_host+=(--keep-unit)

check_host() {
  [ "$(id -u)" -eq 0 ] || fail "this test boots a container and must run as root (it is $(id -un))"
  local tool
  for tool in systemd-nspawn debootstrap dpkg-deb apt-get mountpoint timeout; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (packaging/install-deps.sh installs it)"
  done
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || fail "this kernel has no overlayfs"
}

# The host's Debian repositories for its own release ("URI SUITE COMPONENT"
# lines): the package's libraries came from them, so the container gets the
# same ones, and debootstrap gets the main mirror.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
debian_repos() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' 'Target-Of: deb' |
    awk -v s="$suite" '$2 == s || index($2, s "-") == 1' | sort -u
}
mirror_of() { awk -v s="$suite" '$2 == s { print $1; exit }' <<<"$1"; }
sources_list() { # REPOS -> sources.list lines, one per repository and suite
  awk '{ c[$1 " " $2] = c[$1 " " $2] " " $3 } END { for (k in c) print "deb " k c[k] }' <<<"$1" | sort
}

check_mirror() { # MIRROR
  local url="${1%/}/dists/$suite/Release"
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read(1)' "$url" 2>/dev/null ||
    fail "the Debian mirror cannot be reached: $url"
}

# --- the two packages ---------------------------------------------------------

build_packages() { # -> $work/pkg/{v1,v2}.deb
  (cd "$build" && cpack -G DEB -B "$work/cpack" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
  mkdir -p "$work/pkg"
  cp "$work"/cpack/testsite-kiosk_"$version"_*.deb "$work/pkg/v1.deb" || fail "cpack made no testsite-kiosk_$version .deb"
  next_version="$version+next1"
  dpkg --compare-versions "$next_version" gt "$version" || fail "$next_version does not sort after $version"
  make_next_package "$work/pkg/v1.deb" "$work/pkg/v2.deb"
}

# The next release: this package with the next kioskctl and a higher version,
# its md5sums made again. Everything else (units, maintainer scripts) is the same.
make_next_package() { # V1 V2
  local tree="$work/next"
  dpkg-deb -R "$1" "$tree"
  strip -o "$tree/usr/bin/testsite-kioskctl" "$next_kioskctl"   # as CPACK_STRIP_FILES does
  sed -i "s/^Version: .*/Version: $next_version/" "$tree/DEBIAN/control"
  (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$tree/DEBIAN/md5sums"
  dpkg-deb --root-owner-group -Zgzip -b "$tree" "$2" >/dev/null
  [ "$(dpkg-deb -f "$2" Version)" = "$next_version" ] || fail "the next package's version"
}

# Package names from a .deb's Depends and Recommends: the first of each set
# of alternatives, versions dropped.
package_deps() { dpkg-deb -f "$1" Depends Recommends | sed 's/^[A-Za-z]*: //' | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | sed '/^$/d' | sort -u; }

# The packages holding the libraries of the test's own tools (the Ed-Fi
# double, ops-queue-records): the guest installs them after the package, so
# they cannot hide a library the package forgot to depend on.
tool_packages() {
  local lib
  ldd "$double" "$queue" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | while read -r lib; do
    dpkg -S "$lib" 2>/dev/null || dpkg -S "${lib#/usr}" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || fail "no package holds $lib"
  done | cut -d: -f1 | sort -u
}

# --- the cached root ----------------------------------------------------------

# systemd to boot; jq, curl, sqlite3 and procps for the guest's checks.
base_include=systemd,systemd-sysv,dbus,jq,curl,sqlite3,procps

cache_root() { # REPOS DEPS TOOLS -> prints the cached root's directory
  local base="${KIOSK_NSPAWN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/testsite-kiosk/nspawn}"
  local key; key=$(printf '%s\n' "$base_include" "$1" "$2" "$3" | sha256sum | cut -c1-12)
  local dir; dir="$base/$suite-$(date +%Y%m%d)-$key"
  if [ ! -d "$dir/root" ]; then
    mkdir -p "$base"
    make_root "$dir.tmp.$$" "$1" "$2" "$3" >&2
    mv -T "$dir.tmp.$$" "$dir" 2>/dev/null || rm -rf --one-file-system "$dir.tmp.$$"   # another run made it first
    # Other days' and other keys' roots are no longer used.
    find "$base" -mindepth 1 -maxdepth 1 -name "$suite-*" ! -name "$(basename "$dir")" ! -name '*.tmp.*' \
      -exec rm -rf --one-file-system {} + || true
  fi
  echo "$dir/root"
}

make_root() { # DIR REPOS DEPS TOOLS
  local dir="$1" mirror; mirror=$(mirror_of "$2")
  echo "building the container's root in $dir (debootstrap $suite from $mirror, then the package's dependencies)"
  mkdir -p "$dir"
  debootstrap --variant=minbase --include="$base_include" "$suite" "$dir/root" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
    { tail -n 30 "$dir/debootstrap.log"; rm -rf --one-file-system "$dir"; fail "debootstrap $suite from $mirror"; }
  sources_list "$2" >"$dir/root/etc/apt/sources.list"
  # Not booted: a chroot-like run where maintainer scripts start nothing.
  # The tools' packages are only downloaded; the guest installs them later.
  systemd-nspawn "${nspawn_host[@]}" -q -D "$dir/root" --setenv=DEBIAN_FRONTEND=noninteractive \
    sh -ec 'apt-get update -q; apt-get install -y -q --no-install-recommends $1; apt-get clean; apt-get install -y -q --download-only --no-install-recommends $2' \
    sh "$(words "$3")" "$(words "$4")" >"$dir/apt.log" 2>&1 ||
    { tail -n 30 "$dir/apt.log"; rm -rf --one-file-system "$dir"; fail "installing the package's dependencies in the container"; }
}

# --- one boot -----------------------------------------------------------------

mount_overlay() { # LOWER
  mkdir -p "$work/upper" "$work/ovl" "$root"
  mount -t overlay overlay -o "lowerdir=$1,upperdir=$work/upper,workdir=$work/ovl" "$root" || fail "cannot mount an overlay over $1"
}

words() { tr '\n' ' ' <<<"$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# The guest's files under /root/kiosk-test and the unit that runs them at boot.
stage_guest() { # TOOLS
  local t="$root/root/kiosk-test"
  mkdir -p "$t"
  cp "$work/pkg/v1.deb" "$t/testsite-kiosk_${version}.deb"
  cp "$work/pkg/v2.deb" "$t/testsite-kiosk_${next_version}.deb"
  cp "$here/ops_booted_install_guest.sh" "$t/guest.sh"
  cp "$seed" "$t/seed.json"
  bash "$certs_script" "$t/certs" >/dev/null 2>&1 || fail "making the test certificates"
  install -m 0755 "$double" "$root/usr/local/bin/edfi-double"
  install -m 0755 "$queue" "$root/usr/local/bin/ops-queue-records"
  # The network is the host's (no private network): ports free here are free there.
  cat >"$t/params" <<EOF
v1=$version
v2=$next_version
double_port=$(free_port)
hub_port=$(free_port)
tool_packages="$(words "$1")"
EOF
  cat >"$root/etc/systemd/system/kiosk-install-test.service" <<EOF
[Unit]
Description=TestSite Kiosk: install, upgrade, remove and purge under systemd (ops_booted_install)
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/bin/timeout $((boot_limit - 60)) /bin/bash /root/kiosk-test/guest.sh
StandardOutput=append:/root/kiosk-test/log
StandardError=append:/root/kiosk-test/log

[Install]
WantedBy=multi-user.target
EOF
  systemctl --root="$root" enable kiosk-install-test.service >/dev/null 2>&1 || fail "cannot enable the test unit in the container"
  # The network is shared: Debian's own nats-server instance (not the
  # package's hub) would take port 4222 here, and apt's timers would take
  # the dpkg lock from the test.
  systemctl --root="$root" mask nats-server.service apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1 ||
    fail "cannot mask nats-server and apt's timers in the container"
}

boot() {
  local started=$SECONDS rc=0
  timeout --kill-after=30 "$boot_limit" systemd-nspawn "${nspawn_host[@]}" --console=read-only -q -b -D "$root" \
    >"$work/console.log" 2>&1 || rc=$?
  echo "the container ran for $((SECONDS - started)) s (systemd-nspawn exit $rc)"
  [ "$rc" -ne 124 ] || echo "systemd-nspawn did not end within $boot_limit s"
}

report() {
  local t="$root/root/kiosk-test"
  [ -f "$t/log" ] && sed 's/^/  guest: /' "$t/log"
  if [ "$(cat "$t/result" 2>/dev/null)" = pass ]; then return 0; fi
  echo "--- container console (last 60 lines)"; sed 's/\x1b\[[0-9;]*m//g' "$work/console.log" | tail -n 60
  fail "in the container: $(cat "$t/result" 2>/dev/null || echo "no verdict: the guest did not finish (see its log and the console)")"
}

# --- the test -----------------------------------------------------------------

step "this machine can boot a container: root, systemd-nspawn, debootstrap, overlayfs, the Debian mirror"
check_host
[ -n "$suite" ] || fail "/etc/os-release names no VERSION_CODENAME"
repos=$(debian_repos)
[ -n "$(mirror_of "$repos")" ] || fail "apt on this machine has no Debian repository for $suite (apt-get indextargets)"
check_mirror "$(mirror_of "$repos")"

step "cpack builds the package; the next release is the same package with testsite-kioskctl-next"
build_packages

step "the container's root: debootstrap and the package's dependencies (cached per day)"
tools=$(tool_packages)
lower=$(cache_root "$repos" "$(package_deps "$work/pkg/v1.deb")" "$tools")
echo "root: $lower"

step "boot: the guest installs, upgrades, removes and purges under systemd"
mount_overlay "$lower"
stage_guest "$tools"
boot
report
echo "ops booted install: 1 passed, 0 failed"
