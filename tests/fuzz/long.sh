#!/usr/bin/env bash
# Long fuzz runs: builds the libFuzzer targets (clang, -DCLAIMD_FUZZ=ON) and
# runs each for a fixed time in libFuzzer's fork mode, keeping going past
# crashes, leaks and timeouts so one run collects all it can find.
#
#   tests/fuzz/long.sh [-t SECONDS] [-p PARALLEL] [-B BUILDDIR] [-d FUZZDIR] [TARGET...]
#
#   -t SECONDS   time per target (default 600; env FUZZ_SECONDS)
#   -p PARALLEL  targets run at the same time (default 1). The cores are shared
#                out: each target gets nproc / PARALLEL fork workers (at least 1).
#   -B BUILDDIR  build folder (default build-fuzz-long in the repository)
#   -d FUZZDIR   persistent state outside the repository (default
#                ${XDG_CACHE_HOME:-~/.cache}/claimd-fuzz; env FUZZ_DIR):
#                <target>/corpus grows from run to run, <target>/run-<stamp>/
#                holds that run's log and artifacts.
#   TARGET       fuzz_x12 fuzz_x12_chunks fuzz_cfg fuzz_ctl fuzz_tblsrc fuzz_json
#                (default: all)
#
# Every crash-*, leak-*, timeout-* and oom-* file a run produces is kept in its
# run folder and copied into tests/fuzz/regressions/<target>/, which the ctest
# smoke runs replay (so a found defect fails `tools/dev.sh test` until it is
# fixed). Exit status: 0 when no target found anything, 1 when one did, 2 on a
# usage or build error. The last line per target in the summary gives the
# executions, coverage (cov: edges, ft: features), corpus size and exec/s.
set -euo pipefail

# The whole script is one brace group: bash reads it completely before running
# it, so editing this file while a long run is going does not break the run.
{
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${FUZZ_SECONDS:-600}"
parallel=1
build="$root/build-fuzz-long"
fuzzdir="${FUZZ_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/claimd-fuzz}"
all=(fuzz_x12 fuzz_x12_chunks fuzz_cfg fuzz_ctl fuzz_tblsrc fuzz_json)

usage() {
    sed -n '5,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while getopts "t:p:B:d:h" o; do
    case "$o" in
    t) seconds="$OPTARG" ;;
    p) parallel="$OPTARG" ;;
    B) build="$OPTARG" ;;
    d) fuzzdir="$OPTARG" ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "long.sh: unknown target $t" >&2; usage; }
done
[[ "$seconds" =~ ^[0-9]+$ && "$parallel" =~ ^[1-9][0-9]*$ ]] || usage

cores="$(nproc 2>/dev/null || echo 2)"
workers=$((cores / parallel))
[ "$workers" -ge 1 ] || workers=1
shared="$root/../shared/data"
fz="$root/tests/fuzz"

echo "long.sh: building ${targets[*]} in $build" >&2
CC=clang cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLAIMD_FUZZ=ON -DCLAIMD_BENCH=OFF >/dev/null || exit 2
cmake --build "$build" -j "$cores" --target "${targets[@]}" >/dev/null || exit 2

# seeds TARGET: the seed folders of a target (as its smoke run uses them).
seeds() {
    local s=()
    case "$1" in
    fuzz_x12 | fuzz_x12_chunks)
        s=("$fz/corpus")
        [ -d "$shared/x12" ] && s+=("$shared/x12")
        ;;
    fuzz_cfg) s=("$fz/corpus_cfg") ;;
    fuzz_ctl) s=("$fz/corpus_ctl") ;;
    fuzz_json) s=("$fz/corpus_json") ;;
    fuzz_tblsrc) s=("$root/tests/fixtures/tables" "$build/tests/fuzz/fuzz_tblsrc_shared") ;;
    esac
    [ -d "$fz/regressions/$1" ] && s+=("$fz/regressions/$1")
    printf '%s\n' "${s[@]}"
}

# max_len per target: the chunk target walks each input once per cut offset
# (quadratic), so its inputs stay short (as in its smoke run).
maxlen() {
    case "$1" in
    fuzz_x12) echo 16384 ;;
    fuzz_x12_chunks) echo 512 ;;
    fuzz_cfg | fuzz_tblsrc) echo 8192 ;;
    fuzz_ctl) echo 9000 ;;
    fuzz_json) echo 4096 ;;
    esac
}

stamp="$(date -u +%Y%m%dT%H%M%SZ)"

# run TARGET: one fork-mode run; prints nothing, leaves its log and artifacts.
run() {
    local t="$1" dir="$fuzzdir/$1" out
    out="$dir/run-$stamp"
    mkdir -p "$dir/corpus" "$out"
    mapfile -t s < <(seeds "$t")
    (cd "$out" && ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/$t" \
        -fork="$workers" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -max_len="$(maxlen "$t")" -timeout=30 -rss_limit_mb=2048 \
        -artifact_prefix="$out/" -print_final_stats=1 \
        "$dir/corpus" "${s[@]}" >"$out/log" 2>&1) || true
}

echo "long.sh: ${#targets[@]} target(s), ${seconds}s each, $parallel at a time," \
    "$workers worker(s) each; state in $fuzzdir" >&2
pids=()
for t in "${targets[@]}"; do
    run "$t" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$parallel" ]; then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do
    wait "$p"
done

found=0
printf '%-16s %6s %12s %7s %8s %7s %8s %s\n' target seconds execs cov ft corpus exec/s artifacts
for t in "${targets[@]}"; do
    out="$fuzzdir/$t/run-$stamp"
    # fork mode: "#N: cov: C ft: F corp: K exec/s E oom/timeout/crash: ..."
    last="$(grep -E '^#[0-9]+: cov:' "$out/log" | tail -n 1 || true)"
    execs="$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")"
    cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")"
    ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")"
    eps="$(sed -nE 's/.* exec\/s ([0-9]+).*/\1/p' <<<"$last")"
    corp="$(find "$fuzzdir/$t/corpus" -type f | wc -l)"
    mapfile -t arts < <(find "$out" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
    printf '%-16s %6s %12s %7s %8s %7s %8s %s\n' "$t" "$seconds" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "$corp" "${eps:-?}" "${#arts[@]}"
    if [ ${#arts[@]} -gt 0 ]; then
        found=1
        mkdir -p "$fz/regressions/$t"
        for a in "${arts[@]}"; do
            cp -n "$a" "$fz/regressions/$t/"
            echo "  $a -> tests/fuzz/regressions/$t/$(basename "$a")"
        done
    fi
    echo "  log: $out/log"
done
exit "$found"
}
