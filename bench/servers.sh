# Starting and stopping the servers under test; sourced by scripts/bench and bench/smoke_test.
# Each server is started in the background of the calling shell and stopped by its own pid.
#
#   start_server KIND LOG_FILE   KIND: pollchat | go | nchan | pollchat-redis | nchan-redis
#     needs: chat_server (pollchat*), go_peer (go), nchan_dir (nchan*); optional: pin
#     ("taskset -c 0" to pin the server to one core)
#     sets:  server_pid (what to stop), server_port, server_pids (what to read RSS/CPU from),
#            post_port (where posters go: another instance for the *-redis kinds, else
#            server_port)
#   The *-redis kinds are two instances sharing one redis-server (all three under `pin`):
#   pollers on the first (server_port), posters on the second (post_port).
#   pollchat-full and pollchat-normal: chat-server with --data-dir on a fresh directory under
#   ${data_root:-/var/tmp} (a real disk, not tmpfs: the fsync is what is measured) and --sync
#   full or normal; stop_server deletes that directory.
#   stop_server                 SIGTERM, up to 5 s grace, then SIGKILL; never anything else

server_pid=""
server_port=""
server_pids=""
post_port=""
_extra_pids=""  # the *-redis kinds: the second instance and redis-server
_data_dir=""    # pollchat-full / pollchat-normal: the fresh --data-dir, deleted on stop

# Waits up to 10 s for the "listening on http://HOST:PORT" line the server writes to its log.
_server_port_from_log() {
  local log=$1 line
  for _ in $(seq 1 500); do
    line=$(grep -m1 -o 'listening on http://[0-9.]*:[0-9]*' "$log" 2>/dev/null || true)
    if [ -n "$line" ]; then
      server_port=${line##*:}
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "servers.sh: no 'listening on' line from pid $server_pid; its log:" >&2
  cat "$log" >&2
  return 1
}

# Waits up to 10 s until the port answers HTTP.
_server_answers() {
  for _ in $(seq 1 500); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$server_port/" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "servers.sh: pid $server_pid does not answer on port $server_port" >&2
  return 1
}

# A port nobody listens on now, below the ephemeral range the clients' own ports come from.
_servers_sh_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_free_port() { "$_servers_sh_dir/../scripts/free-port"; }

# redis-server without persistence on a free port, pinned like the servers; sets _redis_port.
_start_redis() {
  local log=$1 pid
  _redis_port=$(_free_port)
  ${pin:-} redis-server --port "$_redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no >"$log" 2>&1 &
  pid=$!
  _redis_pid=$pid
  _extra_pids="$_extra_pids $pid"
  for _ in $(seq 1 500); do
    [ "$(redis-cli -p "$_redis_port" ping 2>/dev/null)" = PONG ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  echo "servers.sh: redis-server did not answer on port $_redis_port; its log:" >&2
  cat "$log" >&2
  return 1
}

# Waits up to 10 s until GET /healthz on port $1 answers 200 (an instance that reached Redis).
_healthy() {
  for _ in $(seq 1 500); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/healthz")" = 200 ] &&
      return 0
    sleep 0.02
  done
  echo "servers.sh: the instance on port $1 did not reach Redis" >&2
  return 1
}

start_server() {
  local kind=$1 log=$2 second
  # ${pin:-} is word-split on purpose: it is a command prefix such as "taskset -c 0".
  case "$kind" in
    pollchat)
      # The rate limiter off and room for 10,000 parked polls plus the posters.
      ${pin:-} "$chat_server" --listen 127.0.0.1:0 --post-rate 0 --max-connections 20000 \
        2>"$log" &
      server_pid=$!
      _server_port_from_log "$log"
      server_pids=$server_pid
      post_port=$server_port
      ;;
    pollchat-full|pollchat-normal)
      _data_dir=$(mktemp -d "${data_root:-/var/tmp}/pollchat-bench-data.XXXXXX")
      ${pin:-} "$chat_server" --listen 127.0.0.1:0 --post-rate 0 --max-connections 20000 \
        --data-dir "$_data_dir/data" --sync "${kind#pollchat-}" 2>"$log" &
      server_pid=$!
      _server_port_from_log "$log"
      server_pids=$server_pid
      post_port=$server_port
      ;;
    go)
      ${pin:-} "$go_peer" -listen 127.0.0.1:0 2>"$log" &
      server_pid=$!
      _server_port_from_log "$log"
      server_pids=$server_pid
      post_port=$server_port
      ;;
    nchan)
      server_port=$(_free_port)
      ${pin:-} bench/peers/nchan/start "$nchan_dir" "$server_port" 2>"$log" &
      server_pid=$!
      _server_answers
      # nginx's memory is the master's plus its single worker's (its only child).
      server_pids="$server_pid $(pgrep -P "$server_pid" | tr '\n' ' ')"
      post_port=$server_port
      ;;
    pollchat-redis)
      _start_redis "$log.redis"
      # The second instance (the posters') first; server_pid ends as the pollers' instance.
      ${pin:-} "$chat_server" --listen 127.0.0.1:0 --post-rate 0 --max-connections 20000 \
        --redis "redis://127.0.0.1:$_redis_port" 2>"$log.2" &
      server_pid=$!
      _extra_pids="$server_pid $_extra_pids"
      _server_port_from_log "$log.2"
      post_port=$server_port
      ${pin:-} "$chat_server" --listen 127.0.0.1:0 --post-rate 0 --max-connections 20000 \
        --redis "redis://127.0.0.1:$_redis_port" 2>"$log" &
      server_pid=$!
      _server_port_from_log "$log"
      _healthy "$server_port"
      _healthy "$post_port"
      server_pids="$server_pid $_extra_pids"
      ;;
    nchan-redis)
      _start_redis "$log.redis"
      # The second instance (the posters') first; server_pid ends as the pollers' instance.
      post_port=$(_free_port)
      ${pin:-} bench/peers/nchan/start "$nchan_dir-2" "$post_port" "$_redis_port" 2>"$log.2" &
      server_pid=$!
      server_port=$post_port
      _server_answers
      _extra_pids="$server_pid $_extra_pids"
      # Each nginx is its master plus its single worker (its only child).
      second="$server_pid $(pgrep -P "$server_pid" | tr '\n' ' ')"
      server_port=$(_free_port)
      ${pin:-} bench/peers/nchan/start "$nchan_dir" "$server_port" "$_redis_port" 2>"$log" &
      server_pid=$!
      _server_answers
      server_pids="$server_pid $(pgrep -P "$server_pid" | tr '\n' ' ') $second $_redis_pid"
      ;;
    *)
      echo "servers.sh: unknown server kind $kind" >&2
      return 2
      ;;
  esac
}

_stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

stop_server() {
  local pid
  [ -n "$server_pid" ] && _stop_pid "$server_pid"
  # The second instance, then Redis (nginx workers, also listed, end with their master).
  for pid in $_extra_pids; do _stop_pid "$pid"; done
  server_pid=""
  post_port=""
  _extra_pids=""
  if [ -n "$_data_dir" ]; then
    rm -rf -- "$_data_dir"
    _data_dir=""
  fi
}

# The store's counters of the running server (pollchat-full/-normal), as one JSON object:
# {"commits": N, "messages": N, "commit_seconds": S}; {} for a server without them.
store_metrics_json() {
  curl -s --max-time 5 "http://127.0.0.1:$server_port/metrics" | awk '
    $1 == "pollchat_store_commits_total" { c = $2 }
    $1 == "pollchat_store_batch_messages_total" { m = $2 }
    $1 == "pollchat_store_commit_seconds_sum" { s = $2 }
    END {
      if (c == "") { print "{}"; exit }
      printf "{\"commits\": %s, \"messages\": %s, \"commit_seconds\": %s}\n", c, m, s
    }'
}
