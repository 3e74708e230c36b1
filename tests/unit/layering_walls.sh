#!/usr/bin/env bash
# The walls between modules (docs/architecture.md, "Modules"): which
# directory may not include what. Prints every include that crosses a wall
# and fails; a new wall is one line below.
set -uo pipefail
src=${1:?usage: layering_walls.sh SOURCE_DIR}
cd "$src" || exit 2

status=0
wall() {  # DIR FORBIDDEN_REGEX WHY
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($2)" "$1" --include='*.hpp' --include='*.cpp' --include='*.h' || true)
  if [ -n "$hits" ]; then
    printf 'wall broken: %s (%s)\n%s\n' "$1" "$3" "$hits"
    status=1
  fi
}

wall kiosk/domain  'kiosk/(store|service|ui|papers|app)/|sync/(sqlite|outbox|site|edfi|transport)/|imgui|sqlite3|curl/|nats/|GLFW/' \
  "plain rules: no storage, no I/O, no UI"
wall sync          'kiosk/|imgui|GLFW/' "the sync library knows no kiosk and no UI"
wall kiosk/store   'kiosk/(service|ui|papers|app)/|sync/(edfi|transport)/|imgui|curl/|GLFW/' \
  "the store knows no services, no UI and no HTTP puller"
wall kiosk/service 'kiosk/(ui|app)/|sync/(edfi|transport)/|imgui|curl/|nats/|GLFW/' \
  "services know no sync engine and no UI"
wall kiosk/ui      'kiosk/(store|app)/|sync/|sqlite3|curl/|nats/' \
  "screens draw from the services' views: no store types, no SQL, no network"
wall kiosk/papers  'kiosk/(ui|app)/|imgui|GLFW/' "papers are built off the UI"
wall accessibility 'kiosk/|sync/(sqlite|outbox|site|edfi|transport)/' "accessibility knows no kiosk"

# Included through a service header is still held: the screens name no store
# or sync type either.
names=$(grep -rnE '\b(store|edsync::(outbox|edfi|site|sqlite|transport))::' kiosk/ui --include='*.hpp' --include='*.cpp' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
if [ -n "$names" ]; then
  printf 'wall broken: kiosk/ui names a store or sync type\n%s\n' "$names"
  status=1
fi

# A screen reaches a service only through UiContext::act (docs/architecture.md,
# "Actions"): a call written straight on a service would run its SQL on the
# render thread. The catalogue is a snapshot in memory: asking for it is not a read.
calls=$(grep -rnE 'services\.(attendance|security|work|queries|sync)\.[A-Za-z_]+\(' kiosk/ui --include='*.hpp' --include='*.cpp' |
  grep -vE 'services\.work\.catalogue\(\)' || true)
if [ -n "$calls" ]; then
  printf 'wall broken: kiosk/ui calls a service on the render thread (use UiContext::act)\n%s\n' "$calls"
  status=1
fi

[ "$status" = 0 ] && echo "layering walls: all hold"
exit "$status"
