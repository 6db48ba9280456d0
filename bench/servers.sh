# Starting and stopping the servers under test; sourced by scripts/bench and bench/smoke_test.
# Each server is started in the background of the calling shell and stopped by its own pid.
#
#   start_server KIND LOG_FILE   KIND: pollchat | go | nchan
#     needs: chat_server (pollchat), go_peer (go), nchan_dir (nchan); optional: pin
#     ("taskset -c 0" to pin the server to one core)
#     sets:  server_pid (what to stop), server_port, server_pids (what to read RSS/CPU from)
#   stop_server                 SIGTERM, up to 5 s grace, then SIGKILL; never anything else

server_pid=""
server_port=""
server_pids=""

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
_free_port() {
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

start_server() {
  local kind=$1 log=$2
  # ${pin:-} is word-split on purpose: it is a command prefix such as "taskset -c 0".
  case "$kind" in
    pollchat)
      # The rate limiter off and room for 10,000 parked polls plus the posters.
      ${pin:-} "$chat_server" --listen 127.0.0.1:0 --post-rate 0 --max-connections 20000 \
        2>"$log" &
      server_pid=$!
      _server_port_from_log "$log"
      server_pids=$server_pid
      ;;
    go)
      ${pin:-} "$go_peer" -listen 127.0.0.1:0 2>"$log" &
      server_pid=$!
      _server_port_from_log "$log"
      server_pids=$server_pid
      ;;
    nchan)
      server_port=$(_free_port)
      ${pin:-} bench/peers/nchan/start "$nchan_dir" "$server_port" 2>"$log" &
      server_pid=$!
      _server_answers
      # nginx's memory is the master's plus its single worker's (its only child).
      server_pids="$server_pid $(pgrep -P "$server_pid" | tr '\n' ' ')"
      ;;
    *)
      echo "servers.sh: unknown server kind $kind" >&2
      return 2
      ;;
  esac
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
