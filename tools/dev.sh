#!/usr/bin/env bash
# claimd developer entry point: installs what the build needs, builds, and runs.
#
#   tools/dev.sh run     set up, build, and run the main job on the embedded default
#   tools/dev.sh test    set up, build, and run every test (also under ASan+UBSan,
#                        the ring stress programs under TSan, the static checks
#                        of tools/lint.sh, and the fuzz smoke runs with clang).
#                        The ASan+UBSan stage builds with clang (its UBSan checks
#                        more); CLAIMD_ASAN_CC=gcc builds it with gcc.
#   tools/dev.sh build   set up and build only (build/)
#
# Debian packages that are missing are installed with apt-get (as root, or
# through sudo). Set CLAIMD_NO_INSTALL=1 to skip that step.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc 2>/dev/null || echo 2)"

packages=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
          libjemalloc-dev liburing-dev libxxhash-dev liblmdb-dev lmdb-utils
          libcriterion-dev python3 systemd cppcheck clang-tidy)

setup() {
    [ "${CLAIMD_NO_INSTALL:-0}" = 1 ] && return 0
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
}

# build DIR [cmake args...]
build() {
    local dir="$1"
    shift
    cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

passed=0
failed=0
# run_ctest DIR [ctest args...]: runs ctest, adds its counts to the totals.
run_ctest() {
    local dir="$1" log rc=0
    shift
    log="$(mktemp)"
    (cd "$dir" && ctest --output-on-failure -j "$jobs" "$@") 2>&1 | tee "$log" || rc=$?
    local line total nfail
    line="$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)"
    if [ -n "$line" ]; then
        total="$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")"
        nfail="$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")"
        passed=$((passed + total - nfail))
        failed=$((failed + nfail))
    elif [ "$rc" -ne 0 ]; then
        failed=$((failed + 1))
    fi
    rm -f "$log"
}

cmd="${1:-run}"
case "$cmd" in
build)
    setup
    build build
    ;;
run)
    setup
    build build
    exec "$root/tools/demo.sh" "$root/build"
    ;;
test)
    setup
    werror=()
    [ "${CI:-}" = true ] && werror=(-DCLAIMD_WERROR=ON)
    echo "== gcc build, full suite" >&2
    build build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo "${werror[@]}"
    run_ctest build-test
    asan_cc="${CLAIMD_ASAN_CC:-clang}" asan_dir=build-asan
    [ -z "$asan_cc" ] || asan_dir="build-asan-$asan_cc"
    echo "== ASan+UBSan build (${asan_cc:-gcc}), full suite" >&2
    CC="${asan_cc:-${CC:-cc}}" build "$asan_dir" -DCMAKE_BUILD_TYPE=Debug -DCLAIMD_SANITIZE=ON -DCLAIMD_BENCH=OFF \
        "${werror[@]}"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_ctest "$asan_dir"
    # Criterion aborts under TSan: this stage builds only the stress programs
    # of tests/tsan (target claimd_stress) with -fsanitize=thread.
    echo "== clang ThreadSanitizer build, ring/reorder stress programs" >&2
    CC=clang cmake -S "$root" -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCLAIMD_TSAN=ON -DCLAIMD_BENCH=OFF "${werror[@]}" >/dev/null
    cmake --build build-tsan -j "$jobs" --target claimd_stress
    run_ctest build-tsan -L tsan
    # cppcheck and clang-tidy (tools/lint.sh, docs/hardening.md): one test.
    echo "== static checks" >&2
    if tools/lint.sh build-lint; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    echo "== clang libFuzzer build, smoke runs" >&2
    CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAIMD_FUZZ=ON "${werror[@]}"
    run_ctest build-fuzz -L fuzz
    echo
    echo "tests: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    ;;
long)
    # The long tier (tests/long.sh: fuzz targets 600 s each, kill -9 loop
    # at 50 runs, load test 300 s; docs/hardening.md). Arguments go to it.
    setup
    shift
    exec "$root/tests/long.sh" "$@"
    ;;
*)
    echo "usage: tools/dev.sh run|test|build" >&2
    exit 2
    ;;
esac
