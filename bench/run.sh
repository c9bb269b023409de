#!/usr/bin/env bash
# The benchmark suite: one command that measures everything, at real scale.
#
#   bench/run.sh                 full run: 100k, 1M and 5M-claim batches
#   SIZES="100000" bench/run.sh  a quick run
#
# It builds a release tree, writes benchmark-scale tables (claimgen tables:
# 2.6 M NCCI rows) and builds a version from them, generates the batches,
# then for each batch measures, in the same run on the same bytes:
#   - the machine's floors: a plain read of the input, a memchr scan of it,
#     and writing + fsyncing as many bytes as the scrub's outputs;
#   - claimd scrub at each thread count in THREADS (1 is pinned to one core),
#     with its claims/s, MB/s, and peak memory (anonymous and file-mapped
#     apart: mapped table pages are shared with every process);
# and runs the per-stage micro-benchmarks (tokenizer, walk, table lookups,
# edits, pricing) that exist in the build. Results: bench/results/results.json,
# bench/results/summary.txt and, with gnuplot, bench/results/throughput.png.
#
# Environment: SIZES (claims per batch), THREADS ("1 2"), SEED (1),
# WORK (scratch folder, default /tmp/claimd-bench; needs ~6 GB for 5M claims),
# BUILD (build-bench), OUT (bench/results), PGO=0 for a release build without
# profile-guided optimisation (tools/pgo.sh: trained on claimgen batches, not
# on these inputs), PEER=1 to also time the node-x12
# npm parser on the smallest batch (parse only; needs Node.js and the npm registry).
# Never run from ctest: the machines are shared and noisy; compare ratios
# measured in one run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sizes="${SIZES:-100000 1000000 5000000}"
threads="${THREADS:-1 2}"
seed="${SEED:-1}"
work="${WORK:-/tmp/claimd-bench}"
build="${BUILD:-$root/build-bench}"
out="${OUT:-$root/bench/results}"
mkdir -p "$work" "$out"
results="$out/runs.jsonl"
: >"$results"

log() { printf '== %s\n' "$*" >&2; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

need_pkgs=(gnuplot-nox python3 util-linux)
if [ "${CLAIMD_NO_INSTALL:-0}" != 1 ]; then
    missing=()
    for p in "${need_pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
            log "could not install ${missing[*]}: continuing without them"
    fi
fi

log "release build in $build"
CLAIMD_NO_INSTALL="${CLAIMD_NO_INSTALL:-0}" tools/dev.sh build >/dev/null 2>&1 || true
if [ "${PGO:-1}" = 1 ]; then
    tools/pgo.sh "$build"
else
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAIMD_TESTS=OFF \
        -DCLAIMD_LTO=ON -DCLAIMD_PGO= >/dev/null
    cmake --build "$build" >/dev/null
fi
claimd="$build/daemon/claimd"
claimdb="$build/tools/claimdb/claimdb"
claimgen="$build/tools/claimgen/claimgen"

# ---- tables --------------------------------------------------------------
tables="$work/tables-$seed"
if [ ! -f "$tables/data.mdb" ]; then
    log "benchmark-scale source files (claimgen tables --seed $seed)"
    rm -rf "$work/src-$seed"
    t0=$(date +%s.%N)
    "$claimgen" tables --out "$work/src-$seed" --seed "$seed"
    t1=$(date +%s.%N)
    s="$work/src-$seed"
    ncci=()
    for f in "$s"/ncci_ptp_*.txt; do ncci+=(--ncci-ptp "$f"); done
    log "claimdb build"
    "$claimdb" build --out "$tables" --name "bench-$seed" \
        --icd10cm "$s/icd10cm_order.txt@20241001:20250930" --hcpcs "$s/hcpcs.txt" \
        --pprrvu "$s/pprrvu.csv@20250101:20251231" --gpci "$s/gpci.csv@20250101:20251231" \
        --zip5 "$s/zip5.txt" "${ncci[@]}" --mue "$s/mue.csv@20250101:20251231" --pos "$s/pos.txt"
    t2=$(date +%s.%N)
    printf '{"kind":"tables","generate_s":%s,"build_s":%s}\n' \
        "$(sub "$t1" "$t0")" "$(sub "$t2" "$t1")" >>"$results"
fi

# Runs "$@" and prints "seconds peak_anon_kib peak_file_kib" on stdout,
# sampling /proc/PID/status every 20 ms; the command's stderr goes to $errfile.
measure() {
    local errfile="$1"
    shift
    local t0 t1 pid anon=0 file=0 a f
    t0=$(date +%s.%N)
    "$@" 2>"$errfile" >/dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        f=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
        [ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
        sleep 0.02
    done
    wait "$pid"
    t1=$(date +%s.%N)
    echo "$(sub "$t1" "$t0") $anon $file"
}

for n in $sizes; do
    batch="$work/batch-$n-$seed.837"
    if [ ! -f "$batch" ]; then
        log "claimgen batch --claims $n"
        t0=$(date +%s.%N)
        "$claimgen" batch --claims "$n" --seed "$seed" --tables "$tables" --out "$batch"
        t1=$(date +%s.%N)
        printf '{"kind":"generate","claims":%s,"seconds":%s}\n' "$n" "$(sub "$t1" "$t0")" \
            >>"$results"
    fi
    bytes=$(stat -c %s "$batch")

    log "floors on $batch ($bytes bytes)"
    cat "$batch" >/dev/null # page cache
    floor=$("$build/bench/bench_parse" --modes read,memchr --no-scalar --reps 3 --json "$batch" 2>/dev/null || echo '{}')
    printf '{"kind":"floors","claims":%s,"bytes":%s,"bench_parse":%s}\n' "$n" "$bytes" "$floor" >>"$results"

    for t in $threads; do
        outdir="$work/out-$n-$t"
        rm -rf "$outdir"
        mkdir -p "$outdir"
        pin=()
        [ "$t" = 1 ] && command -v taskset >/dev/null && pin=(taskset -c 0)
        log "claimd scrub --threads $t ($n claims)"
        read -r secs anon file < <(measure "$work/scrub.err" "${pin[@]}" "$claimd" scrub \
            --tables "$tables" --out "$outdir" --threads "$t" "$batch")
        summary=$(tail -n 1 "$work/scrub.err")
        obytes=$(du -cb "$outdir"/* | tail -n 1 | cut -f1)
        printf '{"kind":"scrub","claims":%s,"bytes":%s,"threads":%s,"seconds":%s,"peak_anon_kib":%s,"peak_file_kib":%s,"output_bytes":%s,"stderr_summary":"%s"}\n' \
            "$n" "$bytes" "$t" "$secs" "$anon" "$file" "$obytes" "${summary//\"/\'}" >>"$results"
    done

    log "stage shares (bench_stages, one thread)"
    "$build/bench/bench_stages" --tables "$tables" "$batch" >"$out/stages-$n.txt" 2>&1 || true

    log "write + fsync floor ($obytes bytes, as much as the outputs)"
    t0=$(date +%s.%N)
    dd if=/dev/zero of="$work/fsync.tmp" bs=1M count=$(((obytes + 1048575) / 1048576)) \
        conv=fsync status=none
    t1=$(date +%s.%N)
    rm -f "$work/fsync.tmp"
    printf '{"kind":"write_fsync","claims":%s,"bytes":%s,"seconds":%s}\n' "$n" "$obytes" \
        "$(sub "$t1" "$t0")" >>"$results"
done

log "micro-benchmarks"
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    case "$name" in
    bench_parse) "$b" --size 256 --reps 3 >"$out/$name.txt" 2>&1 || true ;;
    *) "$b" >"$out/$name.txt" 2>&1 || true ;;
    esac
done

if [ "${PEER:-0}" = 1 ]; then
    first=$(echo "$sizes" | awk '{print $1}')
    bench/peer/run.sh "$work/batch-$first-$seed.837" >>"$results" || log "peer comparison failed"
fi

python3 bench/report.py "$results" "$out"
