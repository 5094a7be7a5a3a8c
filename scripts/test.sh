#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It installs or starts whatever the tests need, so a fresh machine needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The store's PostgreSQL conformance tests need a server (they fail under CI without one).
# Use the local one if the caller did not name a database.
if [ -z "${IRP_TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
        for version in $(ls /etc/postgresql 2>/dev/null); do
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
    fi
    if pg_isready -q -h 127.0.0.1 -p 5432; then
        export IRP_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
    fi
fi

echo "== cargo test"
cargo test --workspace --locked
