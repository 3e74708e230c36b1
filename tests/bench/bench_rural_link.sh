#!/usr/bin/env bash
# A rural uplink, built for real (issue: "A rural uplink"): two network
# namespaces joined by a veth pair, tbf on each side for the rate, and a
# user-space delay proxy (tests/bench/delay_proxy.cpp) for the round trip,
# in front of the Ed-Fi double behind an HTTP/2 front (nginx,
# tests/integration/h2-front.sh). For each profile (1 Mbit/s with 300 ms,
# 256 kbit/s with 600 ms) it prints:
#   - the drain of 300 StudentAssessments against (bytes ÷ bandwidth + 1 RTT):
#     a pass with the token kept from an earlier pass, and the day's first
#     pass (cold: nothing kept; a token at the default token URL, then the
#     discovery GET beside the write guard's questions)
#   - the next day's drain on the same kiosk and server (its scopes already
#     hold the first day's records, so each first write is looked up)
#   - bytes on the wire per record, up and down (the veth's own counters)
#   - "offline" after a 30 s cut mid-drain, the first record stored after the
#     link returns, and the running kiosk's drain of what was left then
#   - lost / duplicated / stale records, from the double itself.
# A program that prints figures; it never passes or fails on time.
#
# Usage (root: namespaces and tc): tests/bench/bench_rural_link.sh [BUILD_DIR] [RECORDS]
# Traffic stays inside the namespaces it creates; they go when it ends.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench_rural_link: needs root (ip netns, tc)" >&2; exit 2; }
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$src/build/dev}" && pwd)
records=${2:-300}
outage_s=${OUTAGE_SECONDS:-30}
profiles=${PROFILES:-"1mbit:300 256kbit:600"}
front=${FRONT:-h2}  # h2: nginx in front of the double; h1: the double itself (HTTP/1.1)

work=$(mktemp -d /tmp/rural-link-XXXXXX)
K=rlk$$ S=rls$$
server_pids=()
stop_servers() {
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  server_pids=()
}
cleanup() { stop_servers; ip netns del "$K" 2>/dev/null || true; ip netns del "$S" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
inK() { ip netns exec "$K" "$@"; }
inS() { ip netns exec "$S" "$@"; }

ip netns add "$K"; ip netns add "$S"
ip link add k0 netns "$K" type veth peer name s0 netns "$S"
ip -n "$K" addr add 10.77.0.1/24 dev k0
ip -n "$S" addr add 10.77.0.2/24 dev s0
for ns in "$K" "$S"; do ip -n "$ns" link set lo up; done
ip -n "$K" link set k0 up; ip -n "$S" link set s0 up
# A fixed neighbour: when the link dies the kiosk's packets vanish silently
# (as on a real uplink) instead of failing address resolution.
mac_s=$(ip -n "$S" -br link show s0 | awk '{print $3}')
ip -n "$K" neigh replace 10.77.0.2 lladdr "$mac_s" dev k0 nud permanent

sh "$src/tests/integration/make-test-certs.sh" "$work/certs" IP:10.77.0.2
"$bin/tests/bench/bench_backlog" prepare "$work/seed" "$records" 50 >/dev/null
"$bin/tests/bench/bench_backlog" prepare "$work/empty" 0 50 >/dev/null
# The next day's sittings: as many records, the same assessments and school.
"$bin/tests/bench/bench_backlog" prepare "$work/day2" "$records" 50 $(( (records + 49) / 50 + 1 )) >/dev/null
body_bytes=$(python3 -c 'import sys; print(sum(len(l.rstrip(b"\n")) for l in open(sys.argv[1], "rb")))' "$work/seed/bodies.jsonl")

wait_line() {  # FILE PATTERN: wait until a child has printed its ready line
  for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "bench_rural_link: no '$2' in $1" >&2; cat "$1" >&2; return 1
}

start_servers() {  # ONE_WAY_MS
  rm -rf "$work/srv"; mkdir -p "$work/srv"
  ip netns exec "$S" "$bin/tests/integration/edfi_double/edfi-double" --port 9443 --cert "$work/certs/server.pem" --key "$work/certs/server.key" \
      --client-id kiosk --client-secret kiosk-secret --seed "$work/seed/seed.json" --quiet >"$work/srv/double.log" 2>&1 &
  server_pids+=($!)
  wait_line "$work/srv/double.log" "listening on"
  local upstream=9443
  if [ "$front" = h2 ]; then
    ip netns exec "$S" bash "$src/tests/integration/h2-front.sh" "$work/srv/nginx" "$work/certs" 9443 127.0.0.1 9444 >"$work/srv/front.log" 2>&1 &
    server_pids+=($!)
    wait_line "$work/srv/front.log" "listening on"
    upstream=9444
  fi
  ip netns exec "$S" "$bin/tests/bench/delay-proxy" 10.77.0.2 443 127.0.0.1 "$upstream" "$1" >"$work/srv/delay.log" 2>&1 &
  server_pids+=($!)
  wait_line "$work/srv/delay.log" "listening on"
}

shape() {  # RATE: tbf on both ends, with a queue of 64 KB (a DSL modem's, roughly)
  tc -n "$K" qdisc replace dev k0 root tbf rate "$1" burst 4kb limit 65536
  tc -n "$S" qdisc replace dev s0 root tbf rate "$1" burst 4kb limit 65536
}

counter() { inK cat "/sys/class/net/k0/statistics/$1"; }

check_double() {  # [BODIES]: prints lost/duplicated/stale from the double's own log
  inS curl -s --cacert "$work/certs/ca.pem" "https://127.0.0.1:9443/_test/received?resource=studentAssessments" >"$work/received.json"
  python3 - "$work/received.json" "${1:-$work/seed/bodies.jsonl}" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
want = {}
for line in open(sys.argv[2]):
    b = json.loads(line)
    want[b["studentAssessmentIdentifier"]] = b
seen = {}
for r in got["records"]:
    seen[r["body"]["studentAssessmentIdentifier"]] = r
lost = sum(1 for k in want if k not in seen)
stale = sum(1 for k, r in seen.items() if k in want and r["body"] != want[k])
extra_posts = got["totalPosts"] - len(seen)
print(f"lost={lost}\nduplicated={sum(1 for r in got['records'] if r.get('posts', 1) > 1)}\nextra_posts={extra_posts}\nstale={stale}")
PY
}

printf '\n== bench_rural_link: %s StudentAssessments (%s B of JSON), front %s ==\n' "$records" "$body_bytes" "$front"
printf '%-22s %-8s %-8s %-7s %-9s %-10s %-14s %-10s %-14s %-10s %-11s %-12s %-28s %-38s %s\n' profile ideal_s drain_s ratio up+down/rec cold_drain cold_up+down day2_drain day2_up+down offline_s first_after return_goal after_return lost/dup/stale http/conn/window
for profile in $profiles; do
  rate=${profile%%:*} rtt=${profile##*:}
  shape "$rate"
  bps=$(python3 -c "import sys; r=sys.argv[1].lower(); print(float(r[:-4]) * (1e6 if r.endswith('mbit') else 1e3))" "$rate")
  ideal=$(python3 -c "import sys; print(f'{int(sys.argv[1])*8/float(sys.argv[2]) + int(sys.argv[3])/1000:.2f}')" "$body_bytes" "$bps" "$rtt")

  # 1. The drain, with the bytes it put on the link: a pass within the
  # token's life (the kiosk keeps its token in a file and the endpoints it
  # discovered in its database between passes: an earlier pass, here over an
  # empty outbox, left them there), then the first pass of a day (no token
  # yet), each against fresh servers.
  drain_once() {  # TOKEN_FILE WARM(0/1): sets drain_s http conns window up down dls
    start_servers $((rtt / 2))
    rm -f "$1"
    if [ "$2" = 1 ]; then
      rm -rf "$work/empty-run"; cp -r "$work/empty" "$work/empty-run"
      inK "$bin/tests/bench/bench_rural_link" drain "$work/empty-run" https://10.77.0.2 "$work/certs/ca.pem" "$1" >"$work/warmup.out" 2>&1 || true
    fi
    rm -rf "$work/run"; cp -r "$work/seed" "$work/run"
    # The earlier pass was this kiosk's: its discovered endpoints are in the database too.
    if [ "$2" = 1 ]; then "$bin/tests/bench/bench_rural_link" keep-endpoints "$work/empty-run" "$work/run"; fi
    local tx0 rx0 tx1 rx1
    tx0=$(counter tx_bytes); rx0=$(counter rx_bytes)
    inK "$bin/tests/bench/bench_rural_link" drain "$work/run" https://10.77.0.2 "$work/certs/ca.pem" "$1" >"$work/drain.out" 2>"$work/drain.err" || true
    tx1=$(counter tx_bytes); rx1=$(counter rx_bytes)
    up=$(python3 -c "print(round(($tx1-$tx0)/$records))"); down=$(python3 -c "print(round(($rx1-$rx0)/$records))")
    drain_s=$(awk -F= '/^drain_seconds=/ {print $2}' "$work/drain.out")
    http=$(awk -F= '/^http_version=/ {print $2}' "$work/drain.out")
    conns=$(awk -F= '/^connections=/ {print $2}' "$work/drain.out")
    window=$(awk -F= '/^window=/ {print $2}' "$work/drain.out")
    eval "$(check_double)"
    dls="$lost/$duplicated/$stale"
    if [ "$2" = 1 ]; then
      # The next day, same kiosk, same server: its scopes now hold the first
      # day's records, so the write guard looks each first write up.
      rm -rf "$work/run2"; cp -r "$work/day2" "$work/run2"
      "$bin/tests/bench/bench_rural_link" keep-endpoints "$work/empty-run" "$work/run2"
      tx0=$(counter tx_bytes); rx0=$(counter rx_bytes)
      inK "$bin/tests/bench/bench_rural_link" drain "$work/run2" https://10.77.0.2 "$work/certs/ca.pem" "$1" >"$work/day2.out" 2>"$work/day2.err" || true
      tx1=$(counter tx_bytes); rx1=$(counter rx_bytes)
      day2_up=$(python3 -c "print(round(($tx1-$tx0)/$records))"); day2_down=$(python3 -c "print(round(($rx1-$rx0)/$records))")
      day2_s=$(awk -F= '/^drain_seconds=/ {print $2}' "$work/day2.out")
      eval "$(check_double "$work/day2/bodies.jsonl")"
      dls="$dls + $lost/$duplicated/$stale"
    fi
    stop_servers
  }
  drain_once "$work/token-cold" 0
  cold_s=$drain_s cold_up=$up cold_down=$down cold_dls=$dls
  drain_once "$work/token-warm" 1

  # 2. A cut mid-drain: offline shown, and the first record stored after the return.
  start_servers $((rtt / 2))
  rm -rf "$work/run" "$work/ctl"; cp -r "$work/seed" "$work/run"; mkdir -p "$work/ctl"
  ip netns exec "$K" "$bin/tests/bench/bench_rural_link" outage "$work/run" https://10.77.0.2 "$work/certs/ca.pem" "$work/ctl" >"$work/outage.out" 2>"$work/outage.err" &
  runner=$!
  for _ in $(seq 1 3000); do [ -e "$work/ctl/cut" ] && break; sleep 0.01; done
  ip -n "$S" link set s0 down
  date +%s%3N >"$work/ctl/cut-at"
  sleep "$outage_s"
  ip -n "$S" link set s0 up
  date +%s%3N >"$work/ctl/restored-at"
  wait "$runner" || true
  off_ms=$(awk -F= '/^offline_after_cut_ms=/ {print $2}' "$work/outage.out")
  first_ms=$(awk -F= '/^first_stored_after_return_ms=/ {print $2}' "$work/outage.out")
  left=$(awk -F= '/^left_at_return=/ {print $2}' "$work/outage.out")
  after_ms=$(awk -F= '/^drained_after_return_ms=/ {print $2}' "$work/outage.out")
  # The running kiosk's drain of what was left at the return, against its own ideal.
  after=$(python3 -c "
import sys
left, ms, body, recs, bps, rtt = sys.argv[1:]
if not left or not ms: print('?'); sys.exit()
ideal = int(left) * int(body) / int(recs) * 8 / float(bps) + int(rtt) / 1000
print(f'{int(ms)/1000:.2f}s/{ideal:.2f}s={int(ms)/1000/ideal:.2f}x({left})')" "${left:-}" "${after_ms:-}" "$body_bytes" "$records" "$bps" "$rtt")
  eval "$(check_double)"
  dls="$cold_dls + $dls + $lost/$duplicated/$stale"
  stop_servers

  ratio=$(python3 -c "print(f'{float(\"${drain_s:-0}\")/float(\"$ideal\"):.2f}x')")
  goal=$(python3 -c "print(f'<= {2*$rtt/1000 + 2*$rtt/1000:.1f} s')")
  cold_ratio=$(python3 -c "print(f'{float(\"${cold_s:-0}\")/float(\"$ideal\"):.2f}x')")
  day2_ratio=$(python3 -c "print(f'{float(\"${day2_s:-0}\")/float(\"$ideal\"):.2f}x')")
  printf '%-22s %-8s %-8s %-7s %-9s %-10s %-14s %-10s %-14s %-10s %-11s %-12s %-28s %-38s %s\n' "$rate, ${rtt} ms" "$ideal" "${drain_s:-?}" "$ratio" "$up+$down" \
    "${cold_s:-?} $cold_ratio" "$cold_up+$cold_down" "${day2_s:-?} $day2_ratio" "$day2_up+$day2_down" \
    "$(python3 -c "print(f'{int(\"${off_ms:-0}\")/1000:.1f}')")" "$(python3 -c "print(f'{int(\"${first_ms:-0}\")/1000:.2f} s')")" "$goal" "$after" "$dls" "h$http/$conns/$window"
  cat "$work/outage.out" > "$work/last-outage.txt"
done
printf '\ndrain: a pass after an earlier one (the kiosk keeps its token in a file and the endpoints it discovered in its database); cold: the first pass (nothing kept: a token at the default token URL, then the discovery GET in the first flight); day2: the next day'"'"'s as many records on the same kiosk and server (the scopes hold the first day'"'"'s, so each first write is looked up).\n'
printf 'goals: ratio <= 1.5x; up+down <= 700 B/record; offline shown <= 10 s after the cut; first record after the return <= 2 RTT + the TLS handshake (2 RTT); 0/0/0 (cold drain + drain + day 2 + outage run)\n'
printf 'after_return: the running kiosk (discovery and token held) draining what was left when the link came back: time from the return / (those bytes / bandwidth + 1 RTT) = ratio (records left).\n'
printf 'offline_s: from the cut to "offline" on the status; first_after: from the link coming back to the first record acknowledged.\n'
