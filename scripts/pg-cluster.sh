#!/usr/bin/env bash
# scripts/pg-cluster.sh: a throwaway PostgreSQL 15 cluster for the test suites, in a folder of
# its own, listening on 127.0.0.1 only (a free private port, never 5432) and a socket in it.
# It must never touch a cluster it did not make: stop removes only a folder start marked.
#
#   start DIR          install postgresql-15 when missing; initdb into DIR/data (as the
#                      `postgres` system user when run as root, else kinflow-test, made here);
#                      trust for the local socket and 127.0.0.1 only; fsync, synchronous_commit
#                      and full_page_writes off (nothing here is worth keeping); max_connections
#                      200; waits until ready. The superuser role is `kinflow`. On a DIR that
#                      runs already: says so on stderr and succeeds.
#   url DIR            prints postgresql://kinflow@127.0.0.1:PORT (no database)
#   newdb DIR [NAME]   makes a fresh database (kf_<random hex> unless NAME), prints its URI
#   dropdb DIR NAME    drops it, closing its connections (WITH FORCE); gone already is fine
#   stop DIR           pg_ctl stop -m fast, then removes DIR; stopped or gone already is fine
#
# Prints nothing but errors (on stderr) and the URIs asked for (on stdout).
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
MARK=.kinflow-pg-cluster
ROLE=kinflow
# The caller's libpq settings must not steer the commands below.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGSERVICEFILE \
      PGOPTIONS PGSSLMODE PGCONNECT_TIMEOUT PGTARGETSESSIONATTRS PGAPPNAME 2>/dev/null || true
export LC_ALL=C

die() { echo "pg-cluster: $*" >&2; exit 1; }
usage() { die "usage: pg-cluster.sh start DIR | stop DIR | url DIR | newdb DIR [NAME] | dropdb DIR NAME"; }

# The unprivileged user the server runs as: ourselves, or (as root) postgres / kinflow-test.
run_as=""
pick_user() {
  if [ "$(id -u)" != 0 ]; then run_as=$(id -un); return; fi
  if id -u postgres >/dev/null 2>&1; then run_as=postgres; return; fi
  if ! id -u kinflow-test >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kinflow-test \
      || die "could not create the system user kinflow-test"
  fi
  run_as=kinflow-test
}

# as_user CMD...: CMD as that user, from DIR (a working directory it may enter).
as_user() {
  if [ "$(id -u)" = 0 ]; then (cd "$DIR" && runuser -u "$run_as" -- "$@")
  else (cd "$DIR" && "$@"); fi
}

running() { [ -d "$DIR/data" ] && as_user "$PG_BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

port_of() {
  [ -f "$DIR/$MARK" ] && [ -s "$DIR/port" ] || die "no cluster in $DIR (run: pg-cluster.sh start $DIR)"
  cat "$DIR/port"
}

# psql as the superuser, on the maintenance database, over 127.0.0.1.
admin_sql() {
  psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$ROLE" -d postgres -c "$2" >/dev/null
}

valid_name() { [[ $1 =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "bad database name '$1' (lower case letters, digits, _)"; }

# A port no one listens on, below the kernel's range for outgoing connections, never 5432.
free_port() {
  local lo hi p
  lo=10000
  hi=$(awk '{print $1 - 1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32767)
  [ "$hi" -gt $((lo + 1000)) ] || hi=32767
  for _ in $(seq 1 200); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
    [ "$p" = 5432 ] && continue
    (: <>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue  # someone listens there
    echo "$p"; return 0
  done
  die "found no free port between $lo and $hi"
}

cmd_start() {
  [ -x "$PG_BIN/initdb" ] && command -v psql >/dev/null && command -v pg_isready >/dev/null ||
    "$(dirname "${BASH_SOURCE[0]}")/install-deps.sh" postgresql-15 postgresql-client-15 >&2 ||
    die "could not install postgresql-15"
  [ -x "$PG_BIN/initdb" ] || die "no $PG_BIN/initdb after installing postgresql-15"
  # The socket's path must fit a sockaddr_un (107 bytes with ".s.PGSQL.NNNNN"), and go into
  # the server's configuration unquoted.
  [ ${#DIR} -le 80 ] || die "$DIR is too long a path for the server's socket (80 characters at most)"
  [[ $DIR =~ ^[A-Za-z0-9/._+-]+$ ]] || die "$DIR: letters, digits and / . _ + - only, please"
  pick_user
  if [ -e "$DIR" ] && [ ! -f "$DIR/$MARK" ] && [ -n "$(ls -A "$DIR")" ]; then
    die "$DIR is not empty and not a cluster made by pg-cluster.sh"
  fi
  mkdir -p "$DIR"
  touch "$DIR/$MARK"
  if running; then echo "pg-cluster: $DIR is running already (port $(cat "$DIR/port"))" >&2; return 0; fi
  [ "$(id -u)" = 0 ] && chown "$run_as" "$DIR"
  as_user test -w "$DIR" -a -x "$DIR" ||
    die "user $run_as cannot write $DIR (is a folder above it private?)"
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    rm -rf "$DIR/data"
    as_user "$PG_BIN/initdb" -D "$DIR/data" -U "$ROLE" -E UTF8 --locale=C --auth=trust \
      --no-sync --no-instructions >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    # Trust, on the socket and on 127.0.0.1 only: nothing else may connect.
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" > "$DIR/data/pg_hba.conf"
    echo "include 'kinflow.conf'" >> "$DIR/data/postgresql.conf"
    as_user mkdir -p "$DIR/sock"
  fi
  local port
  port=$(cat "$DIR/port" 2>/dev/null || free_port)
  for _ in 1 2 3 4 5 6 7 8; do
    cat > "$DIR/data/kinflow.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR/sock'
max_connections = 200
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    [ "$(id -u)" = 0 ] && chown "$run_as" "$DIR/data/kinflow.conf" "$DIR/data/pg_hba.conf"
    : > "$DIR/server.log"; [ "$(id -u)" = 0 ] && chown "$run_as" "$DIR/server.log"
    if as_user "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null 2>&1; then
      echo "$port" > "$DIR/port"
      pg_isready -q -h 127.0.0.1 -p "$port" -t 30 || die "the server on port $port is not ready: $(tail -5 "$DIR/server.log")"
      return 0
    fi
    # Someone took the port between the look and the bind: another one.
    grep -q "could not bind\|Address already in use" "$DIR/server.log" || break
    port=$(free_port)
  done
  tail -20 "$DIR/server.log" >&2
  die "the server in $DIR did not start"
}

cmd_stop() {
  [ -e "$DIR" ] || return 0
  [ -f "$DIR/$MARK" ] || die "$DIR is not a cluster made by pg-cluster.sh: not removing it"
  pick_user
  if running; then
    as_user "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      as_user "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
      die "the server in $DIR does not stop: not removing it"
  fi
  rm -rf "$DIR"
}

cmd_newdb() {
  local name=${1:-} port
  port=$(port_of)
  [ -n "$name" ] || name=kf_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  valid_name "$name"
  admin_sql "$port" "CREATE DATABASE \"$name\"" || die "could not create database $name"
  echo "postgresql://$ROLE@127.0.0.1:$port/$name"
}

cmd_dropdb() {
  [ $# -eq 1 ] || usage
  local port
  port=$(port_of)
  valid_name "$1"
  admin_sql "$port" "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" || die "could not drop database $1"
}

[ $# -ge 2 ] || usage
verb=$1
DIR=$(realpath -m -- "$2")
shift 2
case $verb in
  start) [ $# -eq 0 ] || usage; cmd_start ;;
  stop) [ $# -eq 0 ] || usage; cmd_stop ;;
  url) [ $# -eq 0 ] || usage; port=$(port_of); echo "postgresql://$ROLE@127.0.0.1:$port" ;;
  newdb) [ $# -le 1 ] || usage; cmd_newdb "$@" ;;
  dropdb) cmd_dropdb "$@" ;;
  *) usage ;;
esac
