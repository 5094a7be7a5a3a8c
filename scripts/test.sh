#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It installs or starts whatever the tests need, so a fresh machine needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

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

echo "== cargo test"
cargo test --workspace --locked
