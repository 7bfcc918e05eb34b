#!/usr/bin/env bash
# Run a private Virtuoso (Debian package `virtuoso-opensource`) for tests and CI.
#
#   .ci/virtuoso.sh start  DIR PORT   create/open the database in DIR, serve SPARQL on
#                                     http://127.0.0.1:PORT/sparql, wait until it answers
#   .ci/virtuoso.sh status DIR [PORT] exit 0 if the instance of DIR runs and answers
#   .ci/virtuoso.sh stop   DIR [PORT] stop exactly the instance of DIR (its pid), nothing else
#
# Everything listens on 127.0.0.1 only. The SQL (ISQL) port is VIRTUOSO_ISQL_PORT, or a free
# port from the kernel (python3), or the first port above PORT that nothing listens on. `start` sets a random DBA password (kept in DIR/dba.password,
# mode 600) and grants SPARQL UPDATE to the anonymous "SPARQL" user, so /sparql accepts
# updates from loopback: right for tests, wrong for production (see docs/deploy.md: use
# /sparql-auth with digest authentication there). It also creates the SQL user "ig_writer"
# (password in DIR/writer.password) with SPARQL UPDATE, for tests of /sparql-auth.
#
# Environment: VIRTUOSO_BIN (default virtuoso-t), VIRTUOSO_ISQL (default isql-vt),
# VIRTUOSO_ISQL_PORT, VIRTUOSO_START_TIMEOUT (seconds, default 60, at most 60),
# VIRTUOSO_MAX_EXECUTION_S (time limit of one query or update, default 60).
# Exit codes: 0 ok, 1 failure, 2 usage, 3 not running (status), 127 Virtuoso not installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TEMPLATE="$HERE/virtuoso.ini"

usage() {
  echo "usage: $0 start DIR PORT | status DIR [PORT] | stop DIR [PORT]" >&2
  exit 2
}

die() {
  echo "virtuoso.sh: $*" >&2
  exit 1
}

[ $# -ge 2 ] || usage
cmd="$1"
dir_arg="$2"
port_arg="${3:-}"

# Only plain path characters: the folder goes into an ini file and a comma-separated list.
case "$dir_arg" in
  *[!A-Za-z0-9_./+-]*) die "DIR may only contain letters, digits and _ . / + - : $dir_arg" ;;
esac
if [ "$cmd" = start ]; then
  mkdir -p "$dir_arg"
elif [ ! -d "$dir_arg" ]; then
  echo "virtuoso not running for $dir_arg (no such folder)"
  [ "$cmd" = status ] && exit 3
  exit 0
fi
DIR="$(cd "$dir_arg" && pwd -P)"
INI="$DIR/virtuoso.ini"
PIDFILE="$DIR/virtuoso.pid"
PORTFILE="$DIR/http.port"
LOG="$DIR/virtuoso.log"
OUT="$DIR/virtuoso.out"

valid_port() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
  [ "$1" -ge 1 ] && [ "$1" -le 65535 ]
}

# Something listens on 127.0.0.1:$1?
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# HTTP status of `ASK {}` on /sparql, or empty (bash only: no curl needed).
sparql_status() {
  local line
  line="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
    printf 'GET /sparql?query=ASK%%7B%%7D HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n' >&3
    IFS= read -r -t 5 line <&3 || true
    echo "$line"
  )" || true
  local _version status _reason
  read -r _version status _reason <<<"$line" || true
  echo "${status:-}"
}

# The pid of the virtuoso-t serving DIR, if it is alive and really ours.
our_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  [ -r "/proc/$pid/cmdline" ] || return 1
  # argv must name our ini file: a recycled pid never matches.
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF "$INI" || return 1
  echo "$pid"
}

find_binary() {
  VIRTUOSO_BIN="${VIRTUOSO_BIN:-virtuoso-t}"
  command -v "$VIRTUOSO_BIN" >/dev/null 2>&1 || {
    echo "virtuoso.sh: $VIRTUOSO_BIN not found: apt-get install virtuoso-opensource" >&2
    exit 127
  }
  if [ -z "${VIRTUOSO_ISQL:-}" ]; then
    if command -v isql-vt >/dev/null 2>&1; then
      VIRTUOSO_ISQL=isql-vt
    elif command -v isql >/dev/null 2>&1 && isql -? 2>&1 | grep -q 'OpenLink Virtuoso'; then
      VIRTUOSO_ISQL=isql  # unixODBC also ships an `isql`: only Virtuoso's will do
    else
      echo "virtuoso.sh: isql-vt not found: apt-get install virtuoso-opensource" >&2
      exit 127
    fi
  fi
}

# Run SQL as dba (password $1). isql exits 0 even when a statement fails: read its output.
isql() {
  local out
  # bounded: a wedged server must not hang CI
  out="$(timeout 60 "$VIRTUOSO_ISQL" "127.0.0.1:$ISQL_PORT" dba "$1" exec="$2" </dev/null 2>&1)" \
    || { echo "$out" >&2; return 1; }
  if grep -q '\*\*\* Error' <<<"$out"; then
    echo "$out" >&2
    return 1
  fi
}

random_secret() {
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

start() {
  valid_port "$port_arg" || usage
  find_binary
  if pid="$(our_pid)"; then
    if [ "$(sparql_status "$(cat "$PORTFILE")")" = 200 ]; then
      echo "virtuoso running: pid $pid, http://127.0.0.1:$(cat "$PORTFILE")/sparql"
      return 0
    fi
    die "pid $pid serves $DIR but does not answer; run '$0 stop $DIR' first"
  fi
  listening "$port_arg" && die "127.0.0.1:$port_arg is already in use"

  ISQL_PORT="${VIRTUOSO_ISQL_PORT:-}"
  if [ -z "$ISQL_PORT" ] && command -v python3 >/dev/null 2>&1; then
    # a port the kernel just gave out: free for bind(), unlike one that merely refuses connect()
    ISQL_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  fi
  if [ -z "$ISQL_PORT" ]; then
    ISQL_PORT=$((port_arg + 1))
    while listening "$ISQL_PORT" || [ "$ISQL_PORT" -eq "$port_arg" ]; do
      ISQL_PORT=$((ISQL_PORT + 1))
      [ "$ISQL_PORT" -le 65535 ] || die "no free port for ISQL above $port_arg"
    done
  fi
  valid_port "$ISQL_PORT" || die "bad VIRTUOSO_ISQL_PORT: $ISQL_PORT"

  mkdir -p "$DIR/www"
  chmod 700 "$DIR"
  local max_execution="${VIRTUOSO_MAX_EXECUTION_S:-60}"
  valid_port "$max_execution" || die "bad VIRTUOSO_MAX_EXECUTION_S: $max_execution"
  sed -e "s|@DIR@|$DIR|g" -e "s|@HTTP_PORT@|$port_arg|g" -e "s|@ISQL_PORT@|$ISQL_PORT|g" \
    -e "s|@MAX_EXECUTION_S@|$max_execution|g" "$TEMPLATE" >"$INI"
  echo "$port_arg" >"$PORTFILE"
  echo "$ISQL_PORT" >"$DIR/isql.port"
  rm -f "$DIR/virtuoso.lck"  # our_pid said no instance of DIR is alive: the lock is stale

  local started=$SECONDS limit="${VIRTUOSO_START_TIMEOUT:-60}"
  [ "$limit" -le 60 ] || limit=60
  # Foreground mode in the background: $! is the server itself, all fds detached from ours.
  (cd "$DIR" && exec "$VIRTUOSO_BIN" +configfile "$INI" +foreground) </dev/null >"$OUT" 2>&1 &
  local pid=$!
  echo "$pid" >"$PIDFILE"

  until [ "$(sparql_status "$port_arg")" = 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOG" "$OUT" >&2 2>/dev/null || true
      rm -f "$PIDFILE"
      die "virtuoso-t exited during startup (log: $LOG)"
    fi
    if [ $((SECONDS - started)) -ge "$limit" ]; then
      tail -n 20 "$LOG" >&2 2>/dev/null || true
      stop_pid "$pid"
      die "no answer from http://127.0.0.1:$port_arg/sparql after ${limit}s"
    fi
    sleep 0.2
  done

  # A new database has DBA password "dba": replace it, then open /sparql to updates.
  local dba_file="$DIR/dba.password" writer_file="$DIR/writer.password" password writer
  if [ ! -s "$dba_file" ]; then
    password="$(random_secret)"
    writer="$(random_secret)"
    (umask 077 && echo "$password" >"$dba_file.new" && echo "$writer" >"$writer_file")
    isql dba "USER_SET_PASSWORD ('dba', '$password');" >/dev/null \
      || { stop_pid "$pid"; die "could not set the DBA password"; }
    mv "$dba_file.new" "$dba_file"
    isql "$password" "USER_CREATE ('ig_writer', '$writer'); GRANT SPARQL_UPDATE TO \"ig_writer\";" \
      >/dev/null || { stop_pid "$pid"; die "could not create the ig_writer user"; }
  fi
  password="$(cat "$dba_file")"
  # Idempotent: on a reused database the role is already there (error U0013).
  if ! isql "$password" 'GRANT SPARQL_UPDATE TO "SPARQL";' >/dev/null 2>"$DIR/grant.err" \
    && ! grep -q 'U0013' "$DIR/grant.err"; then
    cat "$DIR/grant.err" >&2
    stop_pid "$pid"
    die "GRANT SPARQL_UPDATE failed"
  fi
  rm -f "$DIR/grant.err"
  echo "virtuoso running: pid $pid, http://127.0.0.1:$port_arg/sparql ($((SECONDS - started))s)"
}

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do  # 30 s for a clean shutdown, then SIGKILL
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$PIDFILE"
}

stop() {
  local pid
  if pid="$(our_pid)"; then
    stop_pid "$pid"
    echo "virtuoso stopped: pid $pid"
  else
    rm -f "$PIDFILE"
    echo "virtuoso not running for $DIR"
  fi
}

status() {
  local pid port
  pid="$(our_pid)" || { echo "virtuoso not running for $DIR"; exit 3; }
  port="${port_arg:-$(cat "$PORTFILE" 2>/dev/null || true)}"
  if [ "$(sparql_status "$port")" = 200 ]; then
    echo "virtuoso running: pid $pid, http://127.0.0.1:$port/sparql"
  else
    echo "virtuoso pid $pid is alive but http://127.0.0.1:$port/sparql does not answer"
    exit 1
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
