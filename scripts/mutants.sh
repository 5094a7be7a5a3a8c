#!/usr/bin/env bash
# Mutation testing of the core with cargo-mutants (docs/TESTING.md, "Mutation testing").
#
#   scripts/mutants.sh                 mutants in the lines this branch changes against main
#   scripts/mutants.sh --all           every mutant of the core (about 1,500; many hours on 2 cores)
#   scripts/mutants.sh --base REF      compare with REF instead of main
#   scripts/mutants.sh [...] -- ARGS   pass ARGS on to cargo mutants (e.g. -f crates/irp-core/src/ewb.rs)
#
# Only the core's own tests judge the mutants (--test-package irp-core). One job at a time unless
# CARGO_MUTANTS_JOBS says otherwise. Results go to mutants.out/ (git-ignored); the exit status is
# cargo-mutants' own: 0 all caught, 2 some missed, 3 some timed out, 4 the tests fail unmutated.
# Not part of scripts/test.sh: the whole-core run is far too long for every change.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE=irp-core
all=false
base=""
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --all) all=true ;;
        --base) base="${2:?--base needs a git revision}"; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done

if ! cargo mutants --version >/dev/null 2>&1; then
    echo "== installing cargo-mutants"
    cargo install --locked cargo-mutants
fi

args=(--package "$PACKAGE" --test-package "$PACKAGE")
[ -n "${CARGO_MUTANTS_JOBS:-}" ] || args+=(--jobs 1)
# The auto-set test timeout is a multiple of the unmutated run; on a loaded machine the RSA key
# generation of a few unit tests can alone exceed it, which would report a caught mutant as a
# timeout. Allow at least 5 minutes.
[ -n "${CARGO_MUTANTS_MINIMUM_TEST_TIMEOUT:-}" ] || args+=(--minimum-test-timeout 300)

if ! $all; then
    # The revision this branch started from: the merge base with the first base branch that
    # exists (a fresh clone has main or origin/main; CI checkouts often only origin/main). In a
    # shallow clone without the merge base, the branch tip itself.
    if [ -z "$base" ]; then
        for candidate in origin/main main origin/master master; do
            if git rev-parse --verify --quiet "$candidate^{commit}" >/dev/null; then
                base="$candidate"
                break
            fi
        done
    fi
    if [ -z "$base" ]; then
        echo "no main branch to compare with: name one with --base REF, or use --all" >&2
        exit 64
    fi
    since=$(git merge-base HEAD "$base" 2>/dev/null || git rev-parse "$base")
    diff_file=$(mktemp "${TMPDIR:-/tmp}/irp-mutants-diff.XXXXXX")
    trap 'rm -f "$diff_file"' EXIT
    # Committed and uncommitted changes alike (new files only once they are added to git).
    git diff --no-ext-diff "$since" -- >"$diff_file"
    echo "== mutants in the lines changed since $(git rev-parse --short "$since") ($base)"
    args+=(--in-diff "$diff_file")
    listed=$(cargo mutants --list "${args[@]}" "${extra[@]}")
    if [ -z "$listed" ]; then
        echo "no mutants in the changed lines"
        exit 0
    fi
else
    echo "== every mutant of $PACKAGE"
fi

exec cargo mutants "${args[@]}" "${extra[@]}"
