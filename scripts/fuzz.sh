#!/usr/bin/env bash
# Coverage-guided fuzzing of the core with AFL++ (cargo-afl), for a bounded time per target.
#
#   scripts/fuzz.sh                   every target, FUZZ_SECONDS each (default 20)
#   scripts/fuzz.sh --long            every target, 600 s each (FUZZ_SECONDS still wins)
#   scripts/fuzz.sh json invoice      only these targets
#
# FUZZ_JOBS targets run at once (default: the number of cores). Each starts from
# crates/irp-fuzz/corpus/<target>/; AFL++'s output goes to target/fuzz/<target>/ (its queue is
# what a run found, not added to the repository). A crash or hang fails the run: the input is
# copied to crates/irp-fuzz/crashes/<target>/, where `cargo test` replays it until it is fixed.
# Targets and corpus: docs/TESTING.md, "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."

seconds_default=20
targets=()
for arg in "$@"; do
    case $arg in
        --long) seconds_default=600 ;;
        -h | --help)
            sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "fuzz.sh: unknown option $arg" >&2
            exit 2
            ;;
        *) targets+=("$arg") ;;
    esac
done
seconds=${FUZZ_SECONDS:-$seconds_default}
jobs=${FUZZ_JOBS:-$(nproc)}
if [ ${#targets[@]} -eq 0 ]; then
    targets=(json invoice cancel payload credentials)
fi
for target in "${targets[@]}"; do
    if [ ! -d "crates/irp-fuzz/corpus/$target" ]; then
        echo "fuzz.sh: no target $target (no crates/irp-fuzz/corpus/$target)" >&2
        exit 2
    fi
done

# cargo-afl, and AFL++ built from the source it vendors (no download) for this rustc.
if ! command -v cargo-afl >/dev/null 2>&1; then
    echo "== installing cargo-afl (builds AFL++)"
    cargo install --locked --quiet cargo-afl
fi
if ! config=$(cargo afl config --build 2>&1); then
    if ! grep -q "already built" <<<"$config"; then
        echo "$config" >&2
        exit 1
    fi
fi

# Instrumented build in a target directory of its own: cargo-afl's RUSTFLAGS would otherwise
# invalidate the ordinary build. An explicit --target keeps the instrumentation and opt-level 3
# off build scripts and proc macros: a cold build took 3 min of CPU instead of 4 min 37 s.
triple=$(rustc -vV | sed -n 's/^host: //p')
echo "== building the fuzz targets (cargo afl build)"
CARGO_TARGET_DIR=target/afl cargo afl build --locked --quiet --profile fuzz \
    -p irp-fuzz --features afl --target "$triple"
binary=target/afl/$triple/fuzz/irp-fuzz

# AFL++ on a shared CI machine: no CPU frequency or core-dump checks, no core pinning (the other
# job or the machine's other work holds cores), no curses UI, quick calibration.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
export AFL_FAST_CAL=1

# One target: AFL++ for $seconds from its corpus. A hang is an input that runs over 2 s (the
# targets take under a millisecond an input, the RSA of the credentials target a few).
fuzz_one() {
    local target=$1 out=target/fuzz/$1
    rm -rf "$out"
    mkdir -p "$out"
    cargo afl fuzz -i "crates/irp-fuzz/corpus/$target" -o "$out" -V "$seconds" -t 2000 \
        -- "$binary" "$target" >"$out/afl.log" 2>&1
}

echo "== fuzzing ${targets[*]}: $seconds s each, $jobs at a time"
declare -A status
running=()
for target in "${targets[@]}"; do
    fuzz_one "$target" &
    running+=("$!:$target")
    if [ ${#running[@]} -ge "$jobs" ]; then
        entry=${running[0]}
        running=("${running[@]:1}")
        wait "${entry%%:*}" && status[${entry#*:}]=0 || status[${entry#*:}]=$?
    fi
done
for entry in "${running[@]}"; do
    wait "${entry%%:*}" && status[${entry#*:}]=0 || status[${entry#*:}]=$?
done

# A stat of AFL++'s fuzzer_stats.
stat() {
    sed -n "s/^$2 *: //p" "target/fuzz/$1/default/fuzzer_stats" 2>/dev/null || true
}

failed=0
for target in "${targets[@]}"; do
    out=target/fuzz/$target
    if [ "${status[$target]}" -ne 0 ] || [ ! -f "$out/default/fuzzer_stats" ]; then
        echo "!! $target: afl-fuzz failed (exit ${status[$target]}); the end of $out/afl.log:"
        tail -n 25 "$out/afl.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g'
        failed=1
        continue
    fi
    printf '   %-12s %10s execs  %6s/s  corpus %5s  stability %7s  crashes %s  hangs %s\n' \
        "$target" "$(stat "$target" execs_done)" "$(stat "$target" execs_per_sec | cut -d. -f1)" \
        "$(stat "$target" corpus_count)" "$(stat "$target" stability)" \
        "$(stat "$target" saved_crashes)" "$(stat "$target" saved_hangs)"
    # AFL++ skips a seed that crashes or hangs, with a warning; `cargo test` replays the corpus
    # too, but the fuzz run fails here as well.
    seeds=$(sed -n "s/.*Test case '\(.*\)' results in a \(crash\|timeout\).*/\1 (\2)/p" "$out/afl.log")
    if [ -n "$seeds" ]; then
        echo "!! $target: seeds of crates/irp-fuzz/corpus/$target that fail: $seeds"
        failed=1
    fi
    for found in crashes:crash hangs:hang; do
        kind=${found#*:}
        for input in "$out/default/${found%%:*}"/id:*; do
            [ -e "$input" ] || continue
            mkdir -p "crates/irp-fuzz/crashes/$target"
            kept=crates/irp-fuzz/crashes/$target/$kind-$(sha1sum "$input" | cut -c1-12)
            cp "$input" "$kept"
            echo "!! $target: $kind found: $input"
            echo "   kept as $kept (replay: cargo run -p irp-fuzz -- $target $kept)"
            failed=1
        done
    done
done
exit $failed
