#!/usr/bin/env bash
# The demo that `tools/dev.sh run` runs, with the embedded default tables:
# claimd scrub of the bundled sample batch, then of a generated batch of one
# million claims (DEMO_CLAIMS to change it) of which 5 % carry one known
# error. Writes the results, 277CA, 999 and summary into BUILD_DIR/demo-out
# and prints, per file: claims, accepted, rejected, the most frequent
# findings, seconds and claims/s.
# Usage: tools/demo.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: tools/demo.sh BUILD_DIR}"
out="$build/demo-out"
claims="${DEMO_CLAIMS:-1000000}"
threads="$(nproc 2>/dev/null || echo 1)"
mkdir -p "$out"

# scrub FILE: claimd scrub with the embedded default tables, then the summary
# (claimd prints its one-line summary, with seconds and claims/s, on stderr).
scrub() {
    local file="$1" name line
    name="$(basename "$file")"
    line="$("$build/daemon/claimd" scrub --threads "$threads" --out "$out" "$file" 2>&1 >/dev/null |
        grep 'claims/s' || true)"
    if [[ ! -f "$out/$name.summary.json" ]]; then
        echo "claimd scrub failed: $line" >&2
        exit 1
    fi
    python3 - "$out/$name.summary.json" "$line" "$threads" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
m = re.search(r"([0-9.]+) seconds, ([0-9]+) claims/s", sys.argv[2])
print(f"{s['file']}: {s['claims']} claims, {s['accepted']} accepted, {s['rejected']} rejected")
top = sorted(((n, e) for e, n in s["edits"].items() if n), reverse=True)[:6]
print("  top findings: " + (", ".join(f"{e} {n}" for n, e in top) or "none"))
if m:
    n = int(sys.argv[3])
    print(f"  {m.group(1)} seconds, {m.group(2)} claims/s ({n} thread{'s' if n > 1 else ''})")
print(f"  tables: {s['tables']['name']} ({len(s['tables']['sources'])} sources)")
PY
    echo "  outputs: $out/$name.{results.jsonl,277ca,999,summary.json}"
}

echo "== the bundled sample batch"
scrub "$root/data/sample/sample.837"
echo "== a generated batch: $claims claims, 5 % with one known error each (claimgen batch)"
"$build/tools/claimgen/claimgen" batch --claims "$claims" --seed 1 --errors 0.05 \
    --out "$out/batch.837" 2>/dev/null
scrub "$out/batch.837"
echo "  ground truth of the injected errors: $out/batch.837.truth.tsv"
