#!/usr/bin/env bash
# nginx's per-turn CPU time, measured (docs/simulator.md, "nginx's event loop: measured, not modelled").
# One nginx worker (echo module) in a network namespace of its own; a C client stops the worker
# (SIGSTOP), queues N connections with their requests, resumes it (SIGCONT) and timestamps every
# answer. multi_accept off (nginx's default) takes one connection per turn; on takes the whole
# queue first. The slope of answer times over connections is the worker's time per connection.
# Usage (root; gcc, nginx, libnginx-mod-http-echo): scripts/nginx-loop/run.sh [N] [reps] [location body]
#   e.g. scripts/nginx-loop/run.sh 300 3 'echo_sleep 0.05; echo ok;'
set -euo pipefail
N=${1:-300}; REPS=${2:-3}; BODY=${3:-echo ok;}
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d /tmp/hr-nginx-loop.XXXXXX)
NS=hr-nginx-loop-$$
cleanup() { [ -f "$D/nginx.pid" ] && kill "$(cat "$D/nginx.pid")" 2>/dev/null || true; ip netns del "$NS" 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
gcc -O2 -o "$D/client" "$HERE/client.c"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" sysctl -qw net.core.somaxconn=4096
for MA in off on; do
  cat > "$D/nginx.conf" <<C
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1; daemon on; pid $D/nginx.pid; error_log $D/error.log;
events { worker_connections 4096; multi_accept $MA; }
http { access_log off; client_body_temp_path $D; proxy_temp_path $D; fastcgi_temp_path $D; uwsgi_temp_path $D; scgi_temp_path $D;
  server { listen 127.0.0.1:8080 backlog=4096; location / { $BODY } } }
C
  ip netns exec "$NS" nginx -c "$D/nginx.conf" -p "$D"
  sleep 0.3
  W=$(pgrep -P "$(cat "$D/nginx.pid")")
  for _ in $(seq "$REPS"); do
    ip netns exec "$NS" "$D/client" "$N" "$W" > "$D/times.json"
    python3 "$HERE/analyse.py" "multi_accept $MA" "$D/times.json"
    sleep 0.2
  done
  kill "$(cat "$D/nginx.pid")"; sleep 0.3; rm -f "$D/nginx.pid"
done
