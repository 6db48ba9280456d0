# Shared by the tests of several instances on Redis (sourced): real redis-server, chat-server
# and nginx (tests/support/processes.sh: a private directory, everything stopped by pid, newest
# first), plus:
#
#   start_redis CONF                  redis-server with the config file CONF; waits for PING
#   wait_healthy PORT                 until GET /healthz on PORT answers 200 (15 s)
#   redis_conf_from_doc PORT          the doc's Redis block on PORT, its files in $work/redis
#   nginx_conf_from_doc PORT A B C    the doc's nginx block on PORT, its upstream A, B, C
# doc_block reads docs/scale-out.md.

suite=redis
doc=docs/scale-out.md
source "$(dirname "${BASH_SOURCE[0]}")/../support/processes.sh"

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

