#!/bin/sh
# make-test-certs.sh DIR [EXTRA_SAN] — a throwaway CA and a server certificate
# for 127.0.0.1/localhost (and EXTRA_SAN, e.g. IP:10.77.0.2, for a link built
# in network namespaces), for tests and local demos only. Nothing here is secret:
# the keys live in DIR (created if missing) and die with it.
#
# Writes DIR/ca.pem, DIR/ca.key, DIR/server.pem, DIR/server.key.
# EC P-256 keys keep generation fast enough to run once per test process.
set -eu

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: $0 DIR [EXTRA_SAN]" >&2
  exit 2
fi
dir=$1
san="IP:127.0.0.1,DNS:localhost${2:+,$2}"
mkdir -p "$dir"
umask 077

days=7
ext="$dir/server.ext"
csr="$dir/server.csr"

openssl req -x509 -new -nodes -days "$days" \
  -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" \
  -subj "/O=TestSite Kiosk tests/CN=Throwaway test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" 2>/dev/null

openssl req -new -nodes \
  -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$dir/server.key" -out "$csr" \
  -subj "/O=TestSite Kiosk tests/CN=localhost" 2>/dev/null

# The SAN is what clients check; CN alone is ignored by modern verifiers.
cat > "$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san
authorityKeyIdentifier=keyid
subjectKeyIdentifier=hash
EXT

openssl x509 -req -days "$days" -in "$csr" \
  -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -extfile "$ext" -out "$dir/server.pem" 2>/dev/null

rm -f "$ext" "$csr" "$dir/ca.srl"
# Certificates are public; only the keys stay owner-only.
chmod 644 "$dir/ca.pem" "$dir/server.pem"
