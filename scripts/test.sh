#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It installs or starts whatever the tests need, so a fresh machine needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
suite_started=$SECONDS

# A cargo subcommand, installed from crates.io at the version its lock file pins when missing.
ensure_tool() {
    local binary=$1 crate=$2
    if ! command -v "$binary" >/dev/null 2>&1; then
        echo "== installing $crate"
        cargo install --locked --quiet "$crate"
    fi
}

# Times each step: the suite must stay well under CI's 90 minutes on 2 cores.
step() {
    local started=$SECONDS
    "$@"
    echo "   ($((SECONDS - started)) s)"
}

echo "== cargo fmt --check"
step cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
step cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo machete (unused dependencies)"
ensure_tool cargo-machete cargo-machete
step cargo machete

# Licences, banned and duplicate crates, and sources, from deny.toml. Advisories are not checked
# here: their database is fetched from GitHub, which this project's machines cannot reach
# (docs/TESTING.md).
echo "== cargo deny check licenses bans sources"
ensure_tool cargo-deny cargo-deny
step cargo deny --locked check licenses bans sources

echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" step cargo doc --workspace --no-deps --locked --quiet

# PostgreSQL for the store and server tests: use the caller's, else a local one, starting or
# installing it when missing. In CI the PostgreSQL tests fail rather than skip without it.
ensure_postgres() {
    [ -n "${IRP_TEST_DATABASE_URL:-}" ] && return 0
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "== installing PostgreSQL (Debian packages)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        local versions
        versions=$(ls /etc/postgresql 2>/dev/null || true)
        if [ -z "$versions" ]; then
            pg_createcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main >/dev/null
            versions=$(ls /etc/postgresql)
        fi
        for version in $versions; do
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    fi
    # A fresh cluster wants a password over TCP; trust setups ignore it.
    su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
    export IRP_TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres
}
ensure_postgres

# Issue 16: the web mode's tests drive headless Chromium through chromedriver (Debian's
# `chromium` and `chromium-driver`) and render PDF prints with `pdftoppm` (`poppler-utils`),
# installed when missing; in CI they fail rather than skip without them.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
    echo "== installing Chromium, chromedriver and poppler-utils (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver poppler-utils >/dev/null
fi

# Issue 23: every scratch database of this run carries the run's identifier, so that afterwards
# the run can be shown to have left none behind; stale ones of killed runs are swept first.
export IRP_TEST_RUN_ID="run-$(date +%s)-$$"
scratch_databases() {
    cargo run --quiet --locked -p irp-testkit --bin scratch-databases -- "$@"
}
echo "== sweep stale scratch databases"
step scratch_databases sweep

echo "== cargo test"
step cargo test --workspace --locked

echo "== no scratch database left behind"
step scratch_databases leftovers "$IRP_TEST_RUN_ID"

# Issue 15: a PostgreSQL primary and a synchronous standby of the drill's own (Debian's binaries,
# as the current user or postgres), two portals under load, the primary SIGKILLed and the standby
# promoted: the portals must recover without a restart and lose no acknowledged IRN
# (docs/DEPLOYMENT.md, "PostgreSQL failover"). The debug build serves the drill's 200 IRN/s.
echo "== PostgreSQL failover drill (scripts/failover-drill.sh)"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "== installing PostgreSQL (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
cargo build --quiet --locked -p irp
DRILL_BINARY="${CARGO_TARGET_DIR:-target}/debug/irp" step bash scripts/failover-drill.sh

# Coverage-guided fuzzing (AFL++ through cargo-afl), FUZZ_SECONDS per target, two targets at a
# time: a crash or hang fails the suite and is kept under crates/irp-fuzz/crashes/ (docs/TESTING.md).
echo "== fuzzing (scripts/fuzz.sh)"
ensure_tool cargo-afl cargo-afl
step bash scripts/fuzz.sh

echo "== suite finished in $((SECONDS - suite_started)) s"
