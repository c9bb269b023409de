#!/usr/bin/env bash
# The long test tier (issue #8; docs/hardening.md "Fault injection, kill -9,
# load, PHI"): every fuzz target for a long run, the kill -9 loop at 50 runs,
# the load test for 300 s; then a summary. Not part of `tools/dev.sh test`.
#
#   tests/long.sh [-t FUZZ_SECONDS] [-k KILL_RUNS] [-l LOAD_SECONDS] [-B BUILDDIR] [-s PART]...
#
#   -t  seconds per fuzz target (default 600; tests/fuzz/long.sh -t)
#   -k  kill -9 runs (default 50)
#   -l  load test seconds (default 300)
#   -B  the (non-sanitizer) build folder for the kill -9 loop and the load
#       test (default build-long/, configured and built here)
#   -s  skip a part: fuzz, kill or load (repeatable)
#
# Exit status 1 when any part failed. Each part's log is in BUILDDIR/long-*.log.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_s=600 kill_runs=50 load_s=300 build="$root/build-long"
skip=" "
while getopts "t:k:l:B:s:" o; do
    case "$o" in
    t) fuzz_s="$OPTARG" ;;
    k) kill_runs="$OPTARG" ;;
    l) load_s="$OPTARG" ;;
    B) build="$OPTARG" ;;
    s) skip="$skip$OPTARG " ;;
    *)
        sed -n '2,16p' "$0" >&2
        exit 2
        ;;
    esac
done

summary=()
status=0
# part NAME LOG COMMAND...: runs it, records its result and time.
part() {
    local name="$1" log="$2" t0 rc
    shift 2
    t0=$(date +%s)
    echo "== $name (log: $log)" >&2
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local took=$(($(date +%s) - t0))
    if [ "$rc" -eq 0 ]; then
        summary+=("$name: passed in ${took} s")
    else
        summary+=("$name: FAILED (exit $rc) after ${took} s")
        status=1
    fi
}

mkdir -p "$build"
if [[ "$skip" != *" kill "* || "$skip" != *" load "* ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
        cmake --build "$build" -j "$(nproc)" >/dev/null || {
        echo "long.sh: the build in $build failed" >&2
        exit 1
    }
fi

if [[ "$skip" != *" fuzz "* ]]; then
    part "fuzz (tests/fuzz/long.sh -t $fuzz_s -p 2)" "$build/long-fuzz.log" \
        "$root/tests/fuzz/long.sh" -t "$fuzz_s" -p 2
fi
if [[ "$skip" != *" kill "* ]]; then
    part "kill -9 loop ($kill_runs runs)" "$build/long-killloop.log" \
        env CLAIMD_KILL_RUNS="$kill_runs" ctest --test-dir "$build" -R '^killloop$' -V
fi
if [[ "$skip" != *" load "* ]]; then
    part "load test ($load_s s)" "$build/long-load.log" \
        env CLAIMD_LOAD_SECONDS="$load_s" ctest --test-dir "$build" -R '^load$' -V --timeout \
        $((load_s * 3 + 600))
fi

echo
echo "== long tier summary"
for s in "${summary[@]}"; do
    echo "  $s"
done
for f in "$build/long-killloop.log" "$build/long-load.log"; do
    [ -f "$f" ] && grep -E '(killloop|load): ' "$f" | grep -vE 'run [0-9]+:' | sed -E 's/^[0-9]+: /  /'
done
exit "$status"
