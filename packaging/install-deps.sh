#!/usr/bin/env bash
# Installs every build, test and packaging dependency from Debian 12 packages.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libimgui-dev libstb-dev libglfw3-dev libgl-dev
  libsqlite3-dev sqlite3 libcurl4-openssl-dev nlohmann-json3-dev doctest-dev
  libsodium-dev libespeak-ng-dev espeak-ng libfreetype-dev libsystemd-dev
  libcli11-dev libtomlplusplus-dev libcpp-httplib-dev libssl-dev openssl
  nats-server libnats-dev libhowardhinnant-date-dev
  libcairo2-dev libpango1.0-dev libcups2-dev poppler-utils
  xvfb xauth x11-apps x11-utils xdotool imagemagick sox wrk python3 curl
  nginx-light iproute2 gdb
  fonts-dejavu-core
  clang-14 libclang-rt-14-dev
  dpkg-dev fakeroot
  debootstrap systemd-container
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
