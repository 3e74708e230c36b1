#!/usr/bin/env bash
# enrol against the Ed-Fi double over real TLS: success, wrong secret,
# unreachable host, bad CA — each with its own message and exit code; the
# secret is read without echo from a pipe when no file is given, never
# printed, and written 0600.
kioskctl="$1"; double="$2"; certs_script="$3"; seed="$4"
source "$(dirname "$0")/ops_common.sh"

start_double
bash "$certs_script" "$work/other-ca" >/dev/null 2>&1   # a CA the server's certificate does not come from
printf 'key=kiosk\nsecret=kiosk-secret\n' >"$work/good.creds"
printf 'key=kiosk\nsecret=not-the-secret\n' >"$work/wrong.creds"
enrol() { "$kioskctl" --data-dir "$work/data" enrol --site-id 255901001 --site-name "Riverbend High School" --kiosk-name "Lab 114 #3" \
            --config-dir "$work/etc" "$@"; }

step "success: discovery answers and a token is granted (exit 0)"
run_expect 0 "$work/ok.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds" --ca-bundle "$ca"
must_contain "$work/ok.log" "enrolled: Lab 114 #3 at site 255901001"
must_contain "$work/ok.log" "a token was granted"
must_contain "$work/ok.log" "pre-flight: every resource and descriptor value the kiosk uses is there and allowed"
must_contain "$work/ok.log" "reasonNotTestedDescriptors: every value the kiosk offers is there"
must_contain "$work/ok.log" "studentAssessments (writes): ok"
must_not_contain "$work/ok.log" "kiosk-secret"
[ "$(stat -c %a "$work/etc/credentials")" = 600 ] || fail "credentials are not 0600"
[ "$(stat -c %a "$work/etc/site.key")" = 600 ] || fail "site.key is not 0600"
[ "$(stat -c %a "$work/etc/kiosk.toml")" = 644 ] || fail "kiosk.toml is not 0644"
[ "$(stat -c %a "$work/data")" = 700 ] || fail "the data directory is not 0700"
grep -q '^secret=kiosk-secret$' "$work/etc/credentials" || fail "credentials not written"
cmp -s "$ca" "$work/etc/ca.pem" || fail "the CA bundle was not copied"
"$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" status --json >"$work/status.json"
json_check "$work/status.json" 'd["enrolment"]["enrolled"] and d["enrolment"]["baseUrl"].endswith(":'"$port"'") and d["enrolment"]["kioskName"] == "Lab 114 #3"'
json_check "$work/status.json" 'd["site"]["id"] == "255901001" and d["site"]["name"] == "Riverbend High School"'
"$kioskctl" --data-dir "$work/data" audit-log >"$work/audit.log"
must_contain "$work/audit.log" "kiosk.enrol"
must_not_contain "$work/audit.log" "kiosk-secret"

step "pre-flight: a resource the server lacks and one the claims refuse are named, with what they mean on the test day (exit 0)"
behave() { curl -sf --cacert "$ca" -X POST -H 'Content-Type: application/json' -d "$1" "https://127.0.0.1:$port/_test/behaviour" >/dev/null || fail "behaviour $1"; }
behave '{"absentResources": ["studentProgramEvaluations"], "refusedResources": ["students"], "withheldDescriptors": ["uri://ed-fi.org/EventCircumstanceDescriptor#Fire alarm"]}'
run_expect 0 "$work/preflight.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds" --ca-bundle "$ca"
must_contain "$work/preflight.log" "studentProgramEvaluations (writes): HTTP 404"
must_contain "$work/preflight.log" "warning: this server has no studentProgramEvaluations: work-readiness records will wait"
must_contain "$work/preflight.log" "warning: this client may not use students"
must_contain "$work/preflight.log" "studentAssessments (writes): ok"
must_contain "$work/preflight.log" "warning: the state's eventCircumstanceDescriptors lack \"Fire alarm\": a record that uses one of them will be refused"
must_contain "$work/preflight.log" "reasonNotTestedDescriptors: every value the kiosk offers is there"
must_not_contain "$work/preflight.log" "every resource and descriptor value the kiosk uses is there"
behave '{"defaults": true}'

step "the secret from a pipe when no file is given (exit 0)"
rm -rf "$work/etc"
printf 'kiosk\nkiosk-secret\n' | run_expect 0 "$work/piped.log" enrol --base-url "https://127.0.0.1:$port" --ca-bundle "$ca"
must_contain "$work/piped.log" "enrolled:"
must_not_contain "$work/piped.log" "kiosk-secret"

step "wrong secret (exit 6): the working enrolment is left exactly as it was"
mkdir -p "$work/before" && cp -p "$work/etc/kiosk.toml" "$work/etc/credentials" "$work/etc/site.key" "$work/before/"
run_expect 6 "$work/wrong.log" "$kioskctl" --data-dir "$work/data" enrol --site-id 255901001 --kiosk-name "Renamed by mistake" \
  --config-dir "$work/etc" --base-url "https://127.0.0.1:$port" --credentials-file "$work/wrong.creds" --ca-bundle "$ca"
must_contain "$work/wrong.log" "WRONG KEY OR SECRET"
must_contain "$work/wrong.log" "Nothing was changed"
must_not_contain "$work/wrong.log" "not-the-secret"
for f in kiosk.toml credentials site.key; do
  cmp -s "$work/before/$f" "$work/etc/$f" || fail "a failed re-enrol changed $f"
done
[ -z "$(find "$work/etc" -name '.*')" ] || fail "a failed re-enrol left temporary files in $work/etc"
"$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" status --json >"$work/status2.json"
json_check "$work/status2.json" 'd["enrolment"]["kioskName"] == "Lab 114 #3"'

step "the site hub's address goes into kiosk.toml, and a re-enrolment without it keeps it"
run_expect 0 "$work/hub.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds" --ca-bundle "$ca" \
  --hub-server tls://hub.riverbend.lan:4222 --hub-ca "$ca"
grep -q '^servers = \["tls://hub.riverbend.lan:4222"\]$' "$work/etc/kiosk.toml" || fail "[hub] servers not written"
cmp -s "$ca" "$work/etc/hub-ca.pem" || fail "the hub's certificate was not copied"
run_expect 0 "$work/rehub.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds" --ca-bundle "$ca"
grep -q '^servers = \["tls://hub.riverbend.lan:4222"\]$' "$work/etc/kiosk.toml" || fail "a re-enrolment dropped the [hub] section"
grep -q "^ca_file = \"$work/etc/hub-ca.pem\"$" "$work/etc/kiosk.toml" || fail "a re-enrolment dropped the hub's certificate"
run_expect 3 "$work/nohubca.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds" --ca-bundle "$ca" \
  --hub-server tls://hub.riverbend.lan:4222
must_contain "$work/nohubca.log" "--hub-ca"

step "sync refuses a NUL byte in the secret the way enrol does (exit 3)"
printf 'key=kiosk\nsecret=kiosk\0secret\n' >"$work/nul.creds" && chmod 600 "$work/nul.creds"
run_expect 3 "$work/nul-enrol.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/nul.creds" --ca-bundle "$ca"
must_contain "$work/nul-enrol.log" "control character"
sed 's|^credentials_file = .*|credentials_file = "'"$work/nul.creds"'"|' "$work/etc/kiosk.toml" >"$work/nul.toml"
run_expect 3 "$work/nul-sync.log" "$kioskctl" --data-dir "$work/data" --config "$work/nul.toml" sync
must_contain "$work/nul-sync.log" "control character"

step "a secret pasted alone on a line is never echoed"
printf 'key=kiosk\nPASTED-SECRET-XYZ\n' >"$work/pasted.creds" && chmod 600 "$work/pasted.creds"
sed 's|^credentials_file = .*|credentials_file = "'"$work/pasted.creds"'"|' "$work/etc/kiosk.toml" >"$work/pasted.toml"
run_expect 3 "$work/pasted.log" "$kioskctl" --data-dir "$work/data" --config "$work/pasted.toml" sync
must_contain "$work/pasted.log" "line 2"
must_not_contain "$work/pasted.log" "PASTED-SECRET-XYZ"

step "--data-dir on a shared directory (mode 1777) is refused and left as it was (exit 4)"
mkdir "$work/shared" && chmod 1777 "$work/shared"
run_expect 4 "$work/shared.log" "$kioskctl" --data-dir "$work/shared" status
must_contain "$work/shared.log" "$work/shared"
must_contain "$work/shared.log" "--data-dir"
[ "$(stat -c %a "$work/shared")" = 1777 ] || fail "the shared directory was re-moded"
[ ! -e "$work/shared/kiosk.db" ] || fail "a database was made in a shared directory"

step "demo on an enrolled kiosk is refused without --force (exit 1)"
run_expect 1 "$work/demo.log" "$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" demo --students 5
must_contain "$work/demo.log" "--force"
"$kioskctl" --data-dir "$work/data" --config "$work/etc/kiosk.toml" status --json >"$work/status3.json"
json_check "$work/status3.json" 'len(d["sessions"]) == 0'   # no demo sessions were loaded

step "a command line CLI11 refuses is a usage error (exit 1), not its own 105/106"
run_expect 1 "$work/usage1.log" "$kioskctl" --data-dir "$work/data" import-pending "$work/no-such-file"
run_expect 1 "$work/usage2.log" "$kioskctl" --data-dir "$work/data" demo --students 0
run_expect 1 "$work/usage3.log" "$kioskctl" --data-dir "$work/data" enrol

step "unreachable host (exit 9)"
dead=$(closed_port)
run_expect 9 "$work/dead.log" enrol --base-url "https://127.0.0.1:$dead" --credentials-file "$work/good.creds" --ca-bundle "$ca"
must_contain "$work/dead.log" "SERVER UNREACHABLE"
must_contain "$work/dead.log" "cannot reach https://127.0.0.1:$dead"

step "bad CA: the server's certificate is not trusted (exit 11), and nothing offers to skip verification"
run_expect 11 "$work/badca.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds" --ca-bundle "$work/other-ca/ca.pem"
must_contain "$work/badca.log" "CERTIFICATE NOT TRUSTED"
must_contain "$work/badca.log" "Verification cannot be turned off"
for word in insecure --no-verify "-k " skip; do must_not_contain "$work/badca.log" "$word"; done
"$kioskctl" enrol --help >"$work/help.txt"
for word in insecure verify=no no-verify skip-verify; do must_not_contain "$work/help.txt" "$word"; done

step "no CA given: the system's CAs do not know the test CA either (exit 11)"
run_expect 11 "$work/noca.log" enrol --base-url "https://127.0.0.1:$port" --credentials-file "$work/good.creds"
must_contain "$work/noca.log" "this machine's trusted CAs"

step "every outcome said something different"
for a in ok wrong dead badca; do for b in ok wrong dead badca; do
  [ "$a" = "$b" ] || ! cmp -s <(tail -n 2 "$work/$a.log") <(tail -n 2 "$work/$b.log") || fail "$a and $b print the same"
done; done

step "plain http is refused before anything is written (exit 3)"
rm -rf "$work/etc"
run_expect 3 "$work/http.log" enrol --base-url "http://127.0.0.1:$port" --credentials-file "$work/good.creds"
must_contain "$work/http.log" "https://"
[ ! -e "$work/etc/kiosk.toml" ] || fail "a configuration was written for plain http"

echo "ops enrol: 1 passed, 0 failed"
