#!/usr/bin/env bash
# The demo that `tools/dev.sh run` runs: claimd scrub on the bundled sample
# batch with the embedded default tables. Writes the results, 277CA, 999 and
# summary into BUILD_DIR/demo-out, then prints the summary: claims, accepted,
# rejected, the most frequent findings, seconds and claims/s.
# Usage: tools/demo.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: tools/demo.sh BUILD_DIR}"
out="$build/demo-out"
mkdir -p "$out"
name=sample.837
# claimd prints its one-line summary (with seconds and claims/s) on stderr
line="$("$build/daemon/claimd" scrub --out "$out" "$root/data/sample/$name" 2>&1 >/dev/null |
        grep 'claims/s' || true)"
sum="$out/$name.summary.json"
if [[ ! -f "$sum" ]]; then
    echo "claimd scrub failed: $line" >&2
    exit 1
fi
python3 - "$sum" "$line" <<'PY'
import json, re, sys
s = json.load(open(sys.argv[1]))
m = re.search(r"([0-9.]+) seconds, ([0-9]+) claims/s", sys.argv[2])
print(f"{s['file']}: {s['claims']} claims, {s['accepted']} accepted, {s['rejected']} rejected")
top = sorted(((n, e) for e, n in s["edits"].items() if n), reverse=True)[:5]
print("top findings: " + (", ".join(f"{e} {n}" for n, e in top) or "none"))
if m:
    print(f"{m.group(1)} seconds, {m.group(2)} claims/s")
print(f"tables: {s['tables']['name']} ({len(s['tables']['sources'])} sources)")
PY
echo "outputs in $out: $name.results.jsonl $name.277ca $name.999 $name.summary.json"
