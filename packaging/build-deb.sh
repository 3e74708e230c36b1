#!/usr/bin/env bash
# One command to build the .deb a site installs:
#   ./packaging/build-deb.sh        -> build/package-release/package/testsite-kiosk_<version>_<arch>.deb
# The release preset (optimised, what a site runs), without the tests, in its
# own build directory; -j2 unless JOBS says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
build=build/package-release
cmake --preset release -B "$build" -DKIOSK_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target testsite-kiosk testsite-kioskctl
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls -t "$build"/package/testsite-kiosk_*.deb | head -n1)
echo "built $deb"
dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\):/  \1:/p'
