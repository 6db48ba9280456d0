# Shared by the tests of several instances on Redis (sourced); the approach of
# tests/proxy/lib.sh: a private temporary directory, real redis-server, chat-server and nginx
# started in the background of the test's shell, each stopped by its own pid when the test
# ends, however it ends. Every wait is bounded.
#
#   start_process LOG CMD...          sets last_pid; stopped at exit
#   start_chat_server LOG ARGS...     sets chat_pid, chat_port (--listen 127.0.0.1:0 unless ARGS
#                                     have their own --listen)
#   start_redis CONF                  redis-server with the config file CONF; waits for PING
#   wait_healthy PORT                 until GET /healthz on PORT answers 200 (15 s)
#   wait_port PORT PID                until something accepts on 127.0.0.1:PORT (10 s)
#   free_port                         prints a loopback port nobody listens on now
#   doc_block LANG N                  prints the Nth ```LANG block of docs/scale-out.md (N from 1)
#   write_nginx_main INCLUDE OUT      an nginx.conf around a conf.d file, everything in $work
#   fail MESSAGE                      prints it and exits 1

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pollchat-redis.XXXXXX")
started_pids=()

_stop_all() {
  local pid i
  # Newest first: nginx and the clients, then the instances, then Redis under them.
  for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
    pid=${started_pids[$i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 250); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "${KEEP_WORK:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap _stop_all EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

start_process() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  last_pid=$!
  started_pids+=("$last_pid")
}

start_chat_server() {
  local log=$1 line listen=(--listen 127.0.0.1:0)
  shift
  # A caller's own --listen (a restart on the same port) replaces the free-port one.
  [[ " $* " == *" --listen "* ]] && listen=()
  start_process "$log" "$chat_server" "${listen[@]}" "$@"
  chat_pid=$last_pid
  chat_port=""
  for _ in $(seq 1 500); do
    line=$(grep -m1 -o 'listening on http://[0-9.]*:[0-9]*' "$log" 2>/dev/null || true)
    if [ -n "$line" ]; then
      chat_port=${line##*:}
      return 0
    fi
    kill -0 "$chat_pid" 2>/dev/null || break
    sleep 0.02
  done
  cat "$log" >&2
  fail "chat-server did not say where it listens"
}

# redis-server in the foreground (daemonize no), so its pid is the one to stop.
start_redis() {
  local conf=$1 port
  port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$conf")
  [ -n "$port" ] || fail "$conf names no port"
  start_process "$work/redis.log" redis-server "$conf" --daemonize no
  for _ in $(seq 1 500); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$last_pid" 2>/dev/null || break
    sleep 0.02
  done
  cat "$work/redis.log" >&2
  fail "redis-server did not answer PING on port $port"
}

wait_healthy() {
  local port=$1
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/healthz")" = 200 ] &&
      return 0
    sleep 0.05
  done
  fail "the instance on port $port did not become healthy (reach Redis) within 15 s"
}

wait_port() {
  local port=$1 pid=$2
  for _ in $(seq 1 500); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  fail "nothing accepts on port $port (pid $pid)"
}

# A port nobody listens on now, below the ephemeral range the clients' own ports come from
# (nginx and redis-server need the number in their configuration).
free_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port in 20000-32000")
PY
}

doc_block() {
  local lang=$1 n=$2
  awk -v lang="$lang" -v n="$n" '
    $0 == "```" lang { count++; inside = (count == n); next }
    /^```/ { inside = 0; next }
    inside { print }
  ' "$repo/docs/scale-out.md"
}

# The doc's Redis block on port $1 with its files in $work/redis (no root, no /var/lib).
redis_conf_from_doc() {
  mkdir -p "$work/redis"
  doc_block conf 1 | sed -e "s|^port 6379$|port $1|" -e "s|^dir /var/lib/pollchat-redis$|dir $work/redis|"
}

# The doc's nginx block listening on 127.0.0.1:$1, its upstream on the ports $2, $3, $4.
nginx_conf_from_doc() {
  doc_block nginx 1 | sed -e "s|listen 80;|listen 127.0.0.1:$1;|" \
    -e "s|server 127.0.0.1:9001;|server 127.0.0.1:$2;|" \
    -e "s|server 127.0.0.1:9002;|server 127.0.0.1:$3;|" \
    -e "s|server 127.0.0.1:9003;|server 127.0.0.1:$4;|"
}

# nginx.conf around a conf.d file: everything nginx writes stays in $work; one process in the
# foreground, so its pid is the one to stop.
write_nginx_main() {
  local include=$1 out=$2
  cat >"$out" <<CONF
daemon off;
master_process off;
# As root the worker would become nobody and lose the private directory; a non-root caller
# gets a harmless "ignored" warning.
user root root;
pid $work/nginx.pid;
error_log $work/nginx-error.log info;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $include;
}
CONF
}
