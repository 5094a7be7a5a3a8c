#!/usr/bin/env bash
# The measurements of docs/PERFORMANCE.md, written to docs/bench/*.json. Takes about 10 minutes
# plus the preloads (5 million take about 10 minutes and 25 GB of free disk under $TMPDIR) on the
# 2-core project machine. PostgreSQL: IRP_BENCH_DATABASE_URL, default the local server.
# IRP_BENCH_PRELOADS: the registry sizes of the growth runs, default "1000000 5000000".
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p irp
IRP=./target/release/irp
OUT=docs/bench
mkdir -p "$OUT"
PG=${IRP_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}
fresh_pg() { psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS irp_bench" -c "CREATE DATABASE irp_bench" >/dev/null; echo "$PG/irp_bench"; }

# The signing ceiling of this machine: RSA-2048 signatures per second per core.
openssl speed -seconds 3 rsa2048 2>/dev/null | tail -2 > $OUT/openssl-rsa2048.txt

# Sustained maximum for 60 s, and latency at a steady 1,000 IRN/s, on each backend.
$IRP bench --spawn --duration 60 --concurrency 32 --report $OUT/sqlite-60s.json
$IRP bench --spawn --duration 60 --concurrency 64 --report $OUT/sqlite-60s-c64.json
$IRP bench --spawn --duration 30 --rate 1000 --concurrency 64 --report $OUT/sqlite-1000-per-s.json
$IRP bench --spawn --database "$(fresh_pg)" --duration 60 --concurrency 32 --report $OUT/postgres-60s.json
$IRP bench --spawn --database "$(fresh_pg)" --duration 30 --rate 1000 --concurrency 64 --report $OUT/postgres-1000-per-s.json
# Growth: the same 60 s run over a registry that already holds 1 and 5 million invoices.
for preload in ${IRP_BENCH_PRELOADS:-1000000 5000000}; do
    $IRP bench --spawn --preload "$preload" --duration 60 --concurrency 32 --report "$OUT/sqlite-preloaded-$preload.json"
done
