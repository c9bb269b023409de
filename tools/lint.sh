#!/usr/bin/env bash
# Static checks: cppcheck and clang-tidy over daemon/ and tools/ (and the
# headers of include/, daemon/ and tools/ they include), from the compile
# commands of a clang build folder. Prints every finding as file:line:col and
# exits 1 when there is any (2 on a setup error), 0 when clean.
#
#   tools/lint.sh [BUILDDIR]     (default build-lint; only configured, not built)
#
# clang-tidy's checks are in the root .clang-tidy (why each disabled one is
# off: docs/hardening.md). cppcheck runs its warning, performance and
# portability classes; a false positive is silenced where it is, with a
# "// cppcheck-suppress <id>" comment on the line before and a reason.
# Paths listed in tools/lint-exclude.txt (bash patterns, one a line) are not
# checked and their findings are dropped: files another engineer is changing
# right now. The list only shrinks.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${1:-build-lint}"
jobs="$(nproc 2>/dev/null || echo 2)"
exclude_file="$root/tools/lint-exclude.txt"

for tool in clang-tidy cppcheck clang; do
    command -v "$tool" >/dev/null || { echo "lint.sh: $tool not found (tools/dev.sh installs it)" >&2; exit 2; }
done

CC=clang cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCLAIMD_BENCH=OFF \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null || exit 2

excludes=()
if [ -f "$exclude_file" ]; then
    while IFS= read -r l; do
        l="${l%%#*}"
        l="${l//[[:space:]]/}"
        [ -n "$l" ] && excludes+=("$l")
    done <"$exclude_file"
fi

# excluded PATH: true when PATH (relative to the root) matches the list.
excluded() {
    local e
    for e in "${excludes[@]}"; do
        # shellcheck disable=SC2053 # the entry is a pattern
        [[ "$1" == $e ]] && return 0
    done
    return 1
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The translation units to check, and a compile database of only those (cppcheck).
python3 - "$build/compile_commands.json" "$root" "$tmp/all.json" "$tmp/all.txt" <<'PY'
import json, os, sys
db, root, out_json, out_txt = sys.argv[1:]
keep = []
for e in json.load(open(db)):
    rel = os.path.relpath(os.path.join(e["directory"], e["file"]), root)
    if rel.startswith(("daemon/", "tools/")):
        keep.append((rel, e))
json.dump([e for _, e in keep], open(out_json, "w"))
open(out_txt, "w").write("".join(r + "\n" for r, _ in keep))
PY
: >"$tmp/files.txt"
while IFS= read -r f; do
    excluded "$f" || echo "$f" >>"$tmp/files.txt"
done <"$tmp/all.txt"
python3 - "$tmp/all.json" "$tmp/files.txt" "$root" "$tmp/lint.json" <<'PY'
import json, os, sys
db, files, root, out = sys.argv[1:]
want = set(open(files).read().split())
json.dump([e for e in json.load(open(db))
           if os.path.relpath(os.path.join(e["directory"], e["file"]), root) in want],
          open(out, "w"))
PY
n="$(wc -l <"$tmp/files.txt")"
echo "lint.sh: $n files (${#excludes[@]} exclude patterns), $jobs jobs" >&2

# filter: keeps finding lines "path:line:col: severity: text [id]" whose path
# is not excluded, relative to the root, each once.
filter() {
    local l f
    sed -E "s|^$root/||" |
        { grep -E '^[^ :]+:[0-9]+:[0-9]+: (warning|error|style|performance|portability): ' || true; } |
        sort -u | while IFS= read -r l; do
            f="${l%%:*}"
            excluded "$f" || echo "$l"
        done
}

t0=$SECONDS
cppcheck --project="$tmp/lint.json" -j "$jobs" --quiet --inline-suppr \
    --enable=warning,performance,portability --suppress=missingIncludeSystem \
    --template='{file}:{line}:{column}: {severity}: {message} [cppcheck-{id}]' \
    2>"$tmp/cppcheck.out" >/dev/null || true
filter <"$tmp/cppcheck.out" >"$tmp/cppcheck.txt"
t1=$SECONDS
xargs -a "$tmp/files.txt" -P "$jobs" -n 1 clang-tidy -p "$build" --quiet \
    >"$tmp/tidy.out" 2>/dev/null || true
# clang-tidy's own errors (a file that does not compile) count too
filter <"$tmp/tidy.out" >"$tmp/tidy.txt"
t2=$SECONDS

cat "$tmp/cppcheck.txt" "$tmp/tidy.txt"
nc="$(wc -l <"$tmp/cppcheck.txt")"
nt="$(wc -l <"$tmp/tidy.txt")"
echo "lint.sh: cppcheck $nc finding(s) in $((t1 - t0)) s, clang-tidy $nt finding(s) in $((t2 - t1)) s" >&2
[ "$nc" -eq 0 ] && [ "$nt" -eq 0 ]
