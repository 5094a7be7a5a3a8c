#!/usr/bin/env bash
# The measurements of docs/PERFORMANCE.md, written to docs/bench/*.json. Takes about 10 minutes
# (plus the preloads) on the 2-core project machine. PostgreSQL: IRP_BENCH_DATABASE_URL, default
# the local server.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p irp
IRP=./target/release/irp
OUT=docs/bench
mkdir -p "$OUT"
PG=${IRP_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}
fresh_pg() { psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS irp_bench" -c "CREATE DATABASE irp_bench" >/dev/null; echo "$PG/irp_bench"; }

# Sustained maximum for 60 s, and latency at a steady 1,000 IRN/s, on each backend.
$IRP bench --spawn --duration 60 --concurrency 32 --report $OUT/sqlite-60s.json
$IRP bench --spawn --duration 30 --rate 1000 --concurrency 64 --report $OUT/sqlite-1000-per-s.json
$IRP bench --spawn --database "$(fresh_pg)" --duration 60 --concurrency 32 --report $OUT/postgres-60s.json
$IRP bench --spawn --database "$(fresh_pg)" --duration 30 --rate 1000 --concurrency 64 --report $OUT/postgres-1000-per-s.json
# Growth: the same run over a registry that already holds 1 million invoices.
$IRP bench --spawn --preload "${IRP_BENCH_PRELOAD:-1000000}" --duration 20 --concurrency 32 --report $OUT/sqlite-preloaded.json
