#!/usr/bin/env bash
# A profile-guided release build: instrument, train, rebuild with the profile.
#
#   tools/pgo.sh [BUILD_DIR]      (default: build-pgo)
#
# The training runs the X12 walk the way production does, on synthetic input
# only (claimgen, never the benchmark's own generator): 837P and 837I batches
# with and without injected errors through `claimd parse` and the walk
# benchmark, and every fixture under tests/fixtures/x12. Code the training
# does not reach is optimised as in a plain release build. The result is a
# Release + LTO tree whose binaries run on any x86-64 (no -march).
# Environment: CLAIMS (training claims per batch, default 200000).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-pgo}"
claims="${CLAIMS:-200000}"
profile="$build/pgo-profile"
train="$(mktemp -d "${TMPDIR:-/tmp}/claimd-pgo.XXXXXX")"
trap 'rm -rf "$train"' EXIT

log() { printf '== %s\n' "$*" >&2; }
configure() {
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAIMD_TESTS=OFF \
        -DCLAIMD_LTO=ON -DCLAIMD_PGO="$1" -DCLAIMD_PGO_DIR="$profile" >/dev/null
}

log "instrumented build in $build"
rm -rf "$profile"
configure generate
cmake --build "$build" >/dev/null

log "training: claimgen batches of $claims claims, the fixtures"
gen="$build/tools/claimgen/claimgen"
for t in 837p 837i; do
    for e in 0 0.05; do
        f="$train/$t-$e.837"
        "$gen" batch --claims "$claims" --type "$t" --errors "$e" --seed 7 --out "$f" >/dev/null 2>&1
        "$build/daemon/claimd" parse --out "$train" "$f" >/dev/null 2>"$train/parse.err" ||
            { cat "$train/parse.err" >&2; exit 1; }
        "$build/bench/bench_parse" --modes walk --reps 1 "$f" >/dev/null
    done
done
for f in "$root"/tests/fixtures/x12/*; do
    "$build/daemon/claimd" parse "$f" >/dev/null 2>&1 || true
done

log "optimised build with the profile"
configure use
cmake --build "$build" >/dev/null
log "done: $build (profile in $profile)"
