#!/usr/bin/env bash
# The .deb, built by CPack from this build tree (the same install rules and
# maintainer scripts as packaging/build-deb.sh's release build): its control
# fields, its files with their modes and owners, its maintainer scripts, and
# its systemd units through `systemd-analyze verify`.
set -euo pipefail
build="$1"; version="$2"; with_gui="$3"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
step() { echo "step: $*"; }
fail() { echo "FAILED at step: $*" >&2; exit 1; }

step "cpack builds the package"
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/pkg/testsite-kiosk_*.deb)
[ -f "$deb" ] || fail "no .deb"

step "control: name, version, dependencies, maintainer scripts"
dpkg-deb -I "$deb" >"$work/info"
field() { sed -n "s/^ $1: //p" "$work/info"; }
[ "$(field Package)" = testsite-kiosk ] || fail "Package"
[ "$(field Version)" = "$version" ] || fail "Version $(field Version) != $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture"
depends=$(field Depends)
for dep in adduser cage ca-certificates fonts-dejavu-core libsodium23 libcurl4 libsqlite3-0 libsystemd0; do
  case ", $depends," in *", $dep"[\ ,]*) ;; *) fail "Depends lacks $dep: $depends" ;; esac
done
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do
  [ -f "$work/control/$s" ] || fail "no $s"
  [ "$(stat -c %a "$work/control/$s")" = 755 ] || fail "$s is not 0755"
  sh -n "$work/control/$s" || fail "$s does not parse"
done
grep -q 'adduser --system --group' "$work/control/postinst" || fail "postinst does not create the system user"
grep -q 'chmod 0700 "$DATA"' "$work/control/postinst" || fail "postinst does not make the data directory 0700"
grep -q 'testsite-kioskctl --data-dir "$DATA" migrate' "$work/control/postinst" || fail "postinst does not migrate on upgrade"
grep -q 'chmod 0600 "$CONF/$secret"' "$work/control/postinst" || fail "postinst does not keep secrets 0600"
grep -q 'rm -rf /var/lib/testsite-kiosk /etc/testsite-kiosk' "$work/control/postrm" || fail "postrm purge does not delete the data"
# remove keeps the data: only purge deletes
awk '/^remove\)/,/;;/' "$work/control/postrm" | grep -q 'rm ' && fail "postrm remove deletes something"

step "contents: files, modes, owners"
dpkg-deb -c "$deb" >"$work/contents"
has() { # MODE PATH
  grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" "$work/contents" || { grep -F "$2" "$work/contents" >&2 || true; fail "missing or wrong: $1 $2"; }
}
has -rwxr-xr-x usr/bin/testsite-kioskctl
if [ "$with_gui" = ON ]; then has -rwxr-xr-x usr/bin/testsite-kiosk; fi
has -rw-r--r-- usr/lib/systemd/system/testsite-kiosk-sync.service
has -rw-r--r-- usr/lib/systemd/system/testsite-kiosk-session.service
has -rw-r--r-- usr/lib/systemd/system/testsite-kiosk-hub.service
has -rw-r--r-- usr/share/testsite-kiosk/assets/strings/en.json
has -rw-r--r-- usr/share/testsite-kiosk/assets/themes/default.json
has -rw-r--r-- usr/share/testsite-kiosk/assets/fonts/AtkinsonHyperlegible-Regular.ttf
has -rw-r--r-- usr/share/testsite-kiosk/assets/fonts/AtkinsonHyperlegible-OFL.txt
has -rw-r--r-- usr/share/doc/testsite-kiosk/copyright
# Everything root-owned, nothing setuid/setgid/world-writable, only 0644 files, 0755 programs and directories.
awk '{print $2}' "$work/contents" | sort -u | grep -vx root/root && fail "a file not owned by root/root"
awk '{print $1}' "$work/contents" | sort -u | grep -vxE -- '-rw-r--r--|-rwxr-xr-x|drwxr-xr-x' && fail "an unexpected mode"
# Data and configuration are made by postinst and enrol, never shipped.
grep -qE '\./(etc|var|home)/' "$work/contents" && fail "the package ships files under /etc, /var or /home"
# The kiosk looks for its assets where the package puts them.
if [ "$with_gui" = ON ]; then
  dpkg-deb -x "$deb" "$work/root"
  grep -qa '/usr/share/testsite-kiosk/assets' "$work/root/usr/bin/testsite-kiosk" || fail "the kiosk looks for its assets elsewhere"
fi

step "systemd units: hardening and watchdog as intended"
dpkg-deb -x "$deb" "$work/root" 2>/dev/null || true
unit="$work/root/usr/lib/systemd/system/testsite-kiosk-sync.service"
for line in Type=notify WatchdogSec= Restart=on-failure User=testsite-kiosk ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes \
            PrivateTmp=yes ReadWritePaths=/var/lib/testsite-kiosk ConditionPathExists=/etc/testsite-kiosk/kiosk.toml " serve"; do
  grep -qF -- "$line" "$unit" || fail "the sync unit lacks $line"
done
hubunit="$work/root/usr/lib/systemd/system/testsite-kiosk-hub.service"
for line in "/usr/sbin/nats-server -c /var/lib/testsite-kiosk/hub/nats.conf" User=testsite-kiosk ProtectSystem=strict \
            ReadWritePaths=/var/lib/testsite-kiosk/hub ConditionPathExists=/var/lib/testsite-kiosk/hub/nats.conf NoNewPrivileges=yes; do
  grep -qF -- "$line" "$hubunit" || fail "the hub unit lacks $line"
done
session="$work/root/usr/lib/systemd/system/testsite-kiosk-session.service"
for line in "/usr/bin/cage -- /usr/bin/testsite-kiosk --fullscreen" User=testsite-kiosk Restart=always NoNewPrivileges=yes; do
  grep -qF -- "$line" "$session" || fail "the session unit lacks $line"
done

step "systemd-analyze verify"
if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze is not installed; the units were not verified"
else
  # verify checks that ExecStart programs exist: point the copies at the
  # extracted package (and a stand-in cage, which is a run-time dependency).
  mkdir -p "$work/verify" "$work/root/usr/bin"
  [ -x "$work/root/usr/bin/cage" ] || printf '#!/bin/sh\n' >"$work/root/usr/bin/cage"
  chmod 755 "$work/root/usr/bin/cage"
  # nats-server is a recommended package, not in ours: a stand-in for verify.
  mkdir -p "$work/root/usr/sbin"
  [ -x "$work/root/usr/sbin/nats-server" ] || printf '#!/bin/sh\n' >"$work/root/usr/sbin/nats-server"
  chmod 755 "$work/root/usr/sbin/nats-server"
  for u in "$work"/root/usr/lib/systemd/system/*.service; do
    sed "s#/usr/bin/#$work/root/usr/bin/#g; s#/usr/sbin/nats-server#$work/root/usr/sbin/nats-server#g" "$u" >"$work/verify/$(basename "$u")"
  done
  set +e
  systemd-analyze verify --man=no "$work"/verify/*.service >"$work/verify.log" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ] || [ -s "$work/verify.log" ]; then cat "$work/verify.log"; fail "systemd-analyze verify (exit $rc)"; fi
  if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
    systemd-analyze security --offline=true "$work/verify/testsite-kiosk-sync.service" 2>&1 | tail -n 1
  fi
fi
echo "ops package: 1 passed, 0 failed"
