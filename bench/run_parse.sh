#!/usr/bin/env bash
# Parse benchmark: throughput on one large 837P, then peak memory of the walk
# on a 200 MB and a 2 GB file (it must not depend on the size).
#
#   bench/run_parse.sh [BUILD_DIR]       (default: build; builds bench_parse)
#
# Environment: SIZE_MB (main run, default 512), REPS (3), BUF_KIB (1024),
# BENCH_TMP (folder for the generated files, default /tmp), JSON=1 for JSON
# lines instead of tables. The generated files are deleted on exit.
# Never run from ctest: the machines are shared and noisy.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
size="${SIZE_MB:-512}"
reps="${REPS:-3}"
buf="${BUF_KIB:-1024}"
tmp="${BENCH_TMP:-/tmp}"
json=()
[ "${JSON:-0}" = 1 ] && json=(--json)

if [ ! -x "$build/bench/bench_parse" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target bench_parse >/dev/null
bp="$build/bench/bench_parse"

main="$tmp/claimd-parse-$$-main.837"
small="$tmp/claimd-parse-$$-200M.837"
big="$tmp/claimd-parse-$$-2G.837"
trap 'rm -f "$main" "$small" "$big"' EXIT

echo "== throughput: ${size} MB 837P, every mode, SIMD and forced scalar" >&2
"$bp" --gen "$main" --size "$size"
"$bp" --reps "$reps" --buf "$buf" "${json[@]}" "$main"
rm -f "$main"

# Memory: each file walked in its own process, so VmHWM/maxrss are the walk's.
for f in "$small:200" "$big:2000"; do
    path="${f%%:*}"
    mb="${f##*:}"
    echo "== memory: walk of a ${mb} MB file (SIMD, one run)" >&2
    "$bp" --gen "$path" --size "$mb"
    "$bp" --modes walk --no-scalar --reps 1 --buf "$buf" "${json[@]}" "$path"
    rm -f "$path"
done
