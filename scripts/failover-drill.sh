#!/usr/bin/env bash
# A PostgreSQL failover drill (issue 15, part 8; docs/DEPLOYMENT.md, "PostgreSQL failover").
#
# In a temporary directory, on free ports, with Debian's PostgreSQL binaries (never the system
# server at 5432): a primary and a synchronous streaming standby; two portals (`irp serve
# --portal 1` and `--portal 2`, release build, each with its own data directory) on one
# multi-host registry URL with target_session_attrs=read-write; `irp bench` against each
# portal. Mid-load the primary is killed with SIGKILL (postmaster and backends, as a crashed
# machine) and the standby promoted with `pg_ctl promote`; the load goes on. Then it checks that
# the portals were not restarted and serve again, and that every IRN the benches saw
# acknowledged is on the promoted server, and reports the gap in service (kill to the first
# success of a request sent after it), the acknowledged count and the lost count.
#
# Exit status: 0 when nothing is lost and both portals serve again; 1 otherwise; 2 when the
# drill could not be set up. Every process it started and its temporary directory are removed
# on exit (DRILL_KEEP=1 keeps the directory, with the logs, for a look afterwards).
#
# Settings (environment):
#   DRILL_LOAD_SECONDS   length of each bench run                       (default 40)
#   DRILL_KILL_AFTER     seconds of load before the primary is killed   (default 12)
#   DRILL_PROMOTE_AFTER  seconds from the kill to `pg_ctl promote`, the
#                        failure detector's delay                       (default 1)
#   DRILL_RATE           requests per second per portal                 (default 100)
#   DRILL_CONCURRENCY    requests in flight per portal                  (default 16)
#   DRILL_BINARY         the irp binary (default: target/release/irp, built when missing)
#   DRILL_PG_BIN         PostgreSQL's bin directory (default: the newest /usr/lib/postgresql/*/bin)
#   DRILL_PG_USER        the account PostgreSQL runs as when this script runs as root
#                        (initdb refuses root)                           (default postgres)
#   DRILL_KEEP           keep the temporary directory
#   DRILL_REPORT         also write the figures as JSON to this file
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
drill_started=$SECONDS

LOAD_SECONDS=${DRILL_LOAD_SECONDS:-40}
KILL_AFTER=${DRILL_KILL_AFTER:-12}
PROMOTE_AFTER=${DRILL_PROMOTE_AFTER:-1}
RATE=${DRILL_RATE:-100}
CONCURRENCY=${DRILL_CONCURRENCY:-16}
IRP=${DRILL_BINARY:-$ROOT/target/release/irp}
PG_BIN=${DRILL_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

say() { echo "== $*"; }
die() {
    echo "drill: $*" >&2
    exit 2
}

[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL binaries in '$PG_BIN' (install postgresql, or set DRILL_PG_BIN)"
[ "$KILL_AFTER" -lt "$LOAD_SECONDS" ] || die "DRILL_KILL_AFTER must be less than DRILL_LOAD_SECONDS"
for tool in curl ss; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done

# initdb and pg_ctl refuse to run as root.
if [ "$(id -u)" = 0 ]; then
    PG_USER=${DRILL_PG_USER:-postgres}
    id "$PG_USER" >/dev/null 2>&1 || die "running as root: PostgreSQL needs an account to run as (DRILL_PG_USER=$PG_USER does not exist)"
    as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
    PG_USER=$(id -un)
    as_pg() { "$@"; }
fi

if [ ! -x "$IRP" ]; then
    [ -z "${DRILL_BINARY:-}" ] || die "$IRP is not an executable"
    say "building the release binary"
    nice -n 10 cargo build --release --locked -p irp
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/irp-failover-drill.XXXXXX")
chmod 711 "$WORK"
PG_DIR=$WORK/pg
PRIMARY=$PG_DIR/primary
STANDBY=$PG_DIR/standby
mkdir -p "$PG_DIR"
[ "$PG_USER" = "$(id -un)" ] || chown "$PG_USER" "$PG_DIR"

# Everything started here, stopped on any exit.
CHILDREN=()
PRIMARY_UP=
STANDBY_UP=
cleanup() {
    local status=$?
    trap - EXIT
    for pid in "${CHILDREN[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${CHILDREN[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [ -z "$STANDBY_UP" ] || as_pg "$PG_BIN/pg_ctl" -D "$STANDBY" -m immediate -w stop >/dev/null 2>&1 || true
    [ -z "$PRIMARY_UP" ] || as_pg "$PG_BIN/pg_ctl" -D "$PRIMARY" -m immediate -w stop >/dev/null 2>&1 || true
    if [ -n "${DRILL_KEEP:-}" ]; then
        echo "drill: kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nothing listens on and that this run has not handed out yet.
TAKEN=" "
free_port() {
    local port
    while :; do
        port=$(shuf -i 20000-59999 -n 1)
        case "$TAKEN" in *" $port "*) continue ;; esac
        if [ -z "$(ss -Htan "sport = :$port")" ]; then
            TAKEN="$TAKEN$port "
            echo "$port"
            return
        fi
    done
}

now_ms() { date +%s%3N; }

PRIMARY_PORT=$(free_port)
STANDBY_PORT=$(free_port)
PORTAL1_PORT=$(free_port)
PORTAL2_PORT=$(free_port)
psql_on() { # port, then psql arguments
    local port=$1
    shift
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"
}

say "primary on 127.0.0.1:$PRIMARY_PORT ($("$PG_BIN/postgres" --version))"
as_pg "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust -N -E UTF8 --locale=C >"$PG_DIR/initdb.log"
cat >>"$PRIMARY/postgresql.conf" <<EOF

# failover drill
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$PG_DIR'
wal_level = replica
max_wal_senders = 4
hot_standby = on
synchronous_commit = on
fsync = on
EOF
as_pg "$PG_BIN/pg_ctl" -D "$PRIMARY" -l "$PG_DIR/primary.log" -w start >/dev/null
PRIMARY_UP=1
psql_on "$PRIMARY_PORT" -d postgres -c "CREATE DATABASE irp"

say "synchronous standby on 127.0.0.1:$STANDBY_PORT"
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$STANDBY" -X stream -c fast
as_pg touch "$STANDBY/standby.signal"
cat >>"$STANDBY/postgresql.conf" <<EOF

# failover drill: the standby
port = $STANDBY_PORT
primary_conninfo = 'host=127.0.0.1 port=$PRIMARY_PORT user=postgres application_name=standby1'
# Once promoted it has no standby of its own to wait for.
synchronous_standby_names = ''
EOF
as_pg "$PG_BIN/pg_ctl" -D "$STANDBY" -l "$PG_DIR/standby.log" -w start >/dev/null
STANDBY_UP=1
# Only now the primary waits for standby1 at every commit (before, CREATE DATABASE would wait for
# a standby that does not exist yet).
psql_on "$PRIMARY_PORT" -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" \
    -c "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 60); do
    state=$(psql_on "$PRIMARY_PORT" -d postgres -Atc \
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")
    [ "$state" = sync ] && break
    sleep 0.5
done
[ "$state" = sync ] || die "the standby did not become synchronous (sync_state '$state')"
echo "   standby1 streaming, sync_state = sync"

REGISTRY="postgres://postgres@127.0.0.1:$PRIMARY_PORT,127.0.0.1:$STANDBY_PORT/irp?target_session_attrs=read-write"
declare -A PORTAL_PID
start_portal() {
    local n=$1 port=$2
    IRP_LOG=${IRP_LOG:-info} "$IRP" serve --portal "$n" --listen "127.0.0.1:$port" \
        --data-dir "$WORK/portal$n" --database "$REGISTRY" >"$WORK/portal$n.log" 2>&1 &
    PORTAL_PID[$n]=$!
    CHILDREN+=("$!")
    for _ in $(seq 1 240); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "${PORTAL_PID[$n]}" 2>/dev/null || break
        sleep 0.25
    done
    cat "$WORK/portal$n.log" >&2
    die "portal $n did not start"
}

say "portal 1 on 127.0.0.1:$PORTAL1_PORT, portal 2 on 127.0.0.1:$PORTAL2_PORT"
echo "   registry URL: $REGISTRY"
start_portal 1 "$PORTAL1_PORT"
# The same auth key and sandbox credentials on both portals (07 §3.1), each in its own directory.
mkdir -p "$WORK/portal2/keys"
cp "$WORK/portal1/keys/auth-private.pem" "$WORK/portal2/keys/"
cp "$WORK/portal1/sandbox.json" "$WORK/portal2/"
start_portal 2 "$PORTAL2_PORT"

say "load: $RATE/s per portal for $LOAD_SECONDS s; the primary dies at ${KILL_AFTER} s"
BENCH_PID=()
for n in 1 2; do
    port=$([ "$n" = 1 ] && echo "$PORTAL1_PORT" || echo "$PORTAL2_PORT")
    "$IRP" bench --url "http://127.0.0.1:$port" --sandbox-json "$WORK/portal$n/sandbox.json" \
        --duration "$LOAD_SECONDS" --rate "$RATE" --concurrency "$CONCURRENCY" --seed "$n" \
        --acknowledged "$WORK/acked$n.tsv" --report "$WORK/bench$n.json" \
        >"$WORK/bench$n.out" 2>"$WORK/bench$n.err" &
    BENCH_PID[$n]=$!
    CHILDREN+=("$!")
    # Each bench logs in as the same sandbox users; the second starts once the first has its
    # sessions and is acknowledging, so that it reuses them. Two logins of one user racing on
    # two portals would each start a session, the later ending the earlier, and leave one bench
    # with a dead token (1005), which has nothing to do with the registry.
    for _ in $(seq 1 240); do
        [ -s "$WORK/acked$n.tsv" ] && break
        kill -0 "${BENCH_PID[$n]}" 2>/dev/null || break
        sleep 0.25
    done
    [ -s "$WORK/acked$n.tsv" ] || {
        cat "$WORK/bench$n.err" >&2
        die "bench $n acknowledged nothing"
    }
done
sleep "$KILL_AFTER"

say "SIGKILL the primary"
postmaster=$(head -1 "$PRIMARY/postmaster.pid")
backends=$(pgrep -P "$postmaster" | tr '\n' ' ' || true)
# shellcheck disable=SC2086 # one word per process id
kill -KILL "$postmaster" $backends
KILL_MS=$(now_ms)
PRIMARY_UP=
sleep "$PROMOTE_AFTER"
say "promote the standby"
as_pg "$PG_BIN/pg_ctl" -D "$STANDBY" -w promote >/dev/null
PROMOTED_MS=$(now_ms)
in_recovery=$(psql_on "$STANDBY_PORT" -d postgres -Atc "SELECT pg_is_in_recovery()")
echo "   promoted $((PROMOTED_MS - KILL_MS)) ms after the kill (pg_is_in_recovery = $in_recovery)"

bench_failed=0
for n in 1 2; do
    wait "${BENCH_PID[$n]}" || bench_failed=1
done
[ "$bench_failed" = 0 ] || {
    cat "$WORK"/bench?.err >&2
    die "a bench run failed"
}

say "checks"
failures=()
for n in 1 2; do
    port=$([ "$n" = 1 ] && echo "$PORTAL1_PORT" || echo "$PORTAL2_PORT")
    if ! kill -0 "${PORTAL_PID[$n]}" 2>/dev/null; then
        failures+=("portal $n is no longer running")
    elif [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" != 200 ]; then
        failures+=("portal $n is running but not ready")
    fi
    if grep -q "acknowledged, but" "$WORK/bench$n.json"; then
        failures+=("bench $n got acknowledgements whose IRN it could not read")
    fi
done
cat "$WORK/acked1.tsv" "$WORK/acked2.tsv" >"$WORK/acked.tsv"
cut -f1 "$WORK/acked.tsv" | sort -u >"$WORK/acked-irns.txt"
acknowledged=$(wc -l <"$WORK/acked-irns.txt")
lines=$(wc -l <"$WORK/acked.tsv")
[ "$acknowledged" = "$lines" ] || failures+=("$((lines - acknowledged)) IRNs acknowledged twice")
before_kill=$(awk -F'\t' -v k="$KILL_MS" '$3 <= k' "$WORK/acked.tsv" | wc -l)
lost=$(psql_on "$STANDBY_PORT" -d irp -At <<EOF
CREATE TEMP TABLE acknowledged (irn text PRIMARY KEY);
\copy acknowledged FROM '$WORK/acked-irns.txt'
SELECT count(*) FROM acknowledged a WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.irn = a.irn);
EOF
)
[ "$lost" = 0 ] || failures+=("$lost acknowledged IRNs are not on the promoted server")
[ "$in_recovery" = f ] || failures+=("the standby did not leave recovery")

# The gap: from the kill to the first answer to a request sent after it, per portal and overall.
first_after() { awk -F'\t' -v k="$KILL_MS" '$2 > k && (m == "" || $3 < m) { m = $3 } END { print m }' "$@"; }
gap_of() {
    local first
    first=$(first_after "$@")
    if [ -z "$first" ]; then echo none; else echo "$((first - KILL_MS))"; fi
}
gap=$(gap_of "$WORK/acked1.tsv" "$WORK/acked2.tsv")
gap1=$(gap_of "$WORK/acked1.tsv")
gap2=$(gap_of "$WORK/acked2.tsv")
[ "$gap1" != none ] || failures+=("portal 1 acknowledged nothing sent after the kill")
[ "$gap2" != none ] || failures+=("portal 2 acknowledged nothing sent after the kill")
after_kill=$(awk -F'\t' -v k="$KILL_MS" '$2 > k' "$WORK/acked.tsv" | wc -l)
errors_of() { tr -d '\n ' <"$1" | grep -o '"errors":{[^}]*}' | sed 's/"errors"://' || true; }
errors1=$(errors_of "$WORK/bench1.json")
errors2=$(errors_of "$WORK/bench2.json")
for n in 1 2; do
    echo "   portal $n log, registry lines:"
    sed 's/\x1b\[[0-9;]*m//g' "$WORK/portal$n.log" | grep -E "registry|2146|5001|panic" |
        sed -E 's/^/     /' | head -8 || true
done

elapsed=$((SECONDS - drill_started))
machine="$(uname -sr), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat <<EOF

PostgreSQL failover drill, $(date -u +%Y-%m-%dT%H:%M:%SZ)
  machine:             $machine
  PostgreSQL:          $("$PG_BIN/postgres" --version | awk '{print $3}'), one synchronous standby, synchronous_commit = on
  load:                2 portals x $RATE/s, $LOAD_SECONDS s, primary killed at ${KILL_AFTER} s, promoted $((PROMOTED_MS - KILL_MS)) ms later
  gap in service:      $gap ms (portal 1: $gap1 ms, portal 2: $gap2 ms), kill to the first answer to a request sent after it
  acknowledged:        $acknowledged ($before_kill answered before the kill, $((acknowledged - before_kill - after_kill)) in flight at it, $after_kill sent after it)
  lost:                $lost
  bench errors:        portal 1 $errors1, portal 2 $errors2
  portals restarted:   no (the same processes from start to end)
  drill took:          $elapsed s
EOF
if [ -n "${DRILL_REPORT:-}" ]; then
    cat >"$DRILL_REPORT" <<EOF
{"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "machine": "$machine", "rate_per_portal": $RATE,
 "load_seconds": $LOAD_SECONDS, "kill_after_s": $KILL_AFTER, "promoted_after_ms": $((PROMOTED_MS - KILL_MS)),
 "gap_ms": "$gap", "gap_portal1_ms": "$gap1", "gap_portal2_ms": "$gap2",
 "acknowledged": $acknowledged, "acknowledged_before_kill": $before_kill, "lost": $lost,
 "failures": ${#failures[@]}, "elapsed_s": $elapsed}
EOF
fi
if [ "${#failures[@]}" -gt 0 ]; then
    printf 'FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "PASSED"
