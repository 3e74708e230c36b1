#!/usr/bin/env bash
# An HTTP/2 front for the Ed-Fi double, as states run their APIs behind a
# reverse proxy: nginx from Debian terminating TLS with ALPN h2 and passing
# each request to the double over kept-alive HTTPS/1.1 (at most 8 idle).
#
#   h2-front.sh WORKDIR CERTDIR UPSTREAM_PORT [LISTEN_ADDR] [LISTEN_PORT]
#
# Runs as any user: config, pid, logs and temp files live in WORKDIR (no
# root-only path), nginx stays in the foreground. Prints
# "listening on https://ADDR:PORT" once it accepts connections, and stops
# nginx on SIGTERM/SIGINT.
set -euo pipefail
work=$1 certs=$2 upstream=$3 addr=${4:-127.0.0.1} port=${5:-0}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "h2-front: nginx is not installed (packaging/install-deps.sh)" >&2; exit 2; }
mkdir -p "$work/tmp"
if [ "$port" = 0 ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
cat > "$work/nginx.conf" <<CONF
daemon off;
master_process off;  # one process as the caller: no user switch, nothing root-only
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    upstream edfi_double {
        server 127.0.0.1:$upstream;
        # The double serves each kept-alive connection with one of its 16
        # threads: keep fewer idle than that, or new connections queue.
        keepalive 8;
    }
    server {
        listen $addr:$port ssl http2;
        ssl_certificate $certs/server.pem;
        ssl_certificate_key $certs/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:tls:1m;
        http2_max_concurrent_streams 128;
        keepalive_requests 100000;
        client_max_body_size 16m;
        location / {
            proxy_pass https://edfi_double;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host:\$server_port;
            proxy_ssl_trusted_certificate $certs/ca.pem;
            proxy_ssl_verify on;
            proxy_ssl_name localhost;
            proxy_ssl_session_reuse on;
            proxy_buffering off;
        }
    }
}
CONF
"$nginx_bin" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0' TERM INT
for _ in $(seq 1 200); do
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/error.log" >&2; exit 1; fi
  if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then
    echo "listening on https://$addr:$port"
    wait $pid
    exit $?
  fi
  sleep 0.05
done
echo "h2-front: nginx did not start listening" >&2
kill -TERM $pid
exit 1
