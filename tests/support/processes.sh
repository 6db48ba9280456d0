# Shared by the shell tests that run real programs (sourced by tests/proxy/lib.sh and
# tests/redis/lib.sh): a private temporary directory, processes started in the background of the
# test's shell and each stopped by its own pid when the test ends, however it ends (newest
# first), and every wait bounded. The sourcing file sets `suite` (the temporary directory's name)
# and `doc` (the document whose blocks doc_block reads) first.
#
#   start_process LOG CMD...          sets last_pid; stopped at exit
#   start_chat_server LOG ARGS...     sets chat_pid, chat_port (--listen 127.0.0.1:0 unless ARGS
#                                     have their own --listen); needs $chat_server
#   wait_port PORT PID                until something accepts on 127.0.0.1:PORT (10 s)
#   free_port                         prints a loopback port nobody listens on now
#   doc_block LANG N                  prints the Nth ```LANG block of $doc (N from 1)
#   write_nginx_main INCLUDE OUT      an nginx.conf around a conf.d file, everything in $work
#   fail MESSAGE                      prints it and exits 1

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pollchat-${suite}.XXXXXX")
started_pids=()

_stop_all() {
  local pid i
  # Newest first: proxies and clients, then the servers behind them, then their stores.
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

wait_port() {
  local port=$1 pid=$2
  for _ in $(seq 1 500); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  fail "nothing accepts on port $port (pid $pid)"
}

# A port nobody listens on now (nginx, Caddy and redis-server need the number in their
# configuration): scripts/free-port.
free_port() { "$repo/scripts/free-port"; }

doc_block() {
  local lang=$1 n=$2
  awk -v lang="$lang" -v n="$n" '
    $0 == "```" lang { count++; inside = (count == n); next }
    /^```/ { inside = 0; next }
    inside { print }
  ' "$repo/$doc"
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
