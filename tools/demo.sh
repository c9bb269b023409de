#!/usr/bin/env bash
# The demo that `tools/dev.sh run` runs: claimd parse on the bundled sample
# batch. Prints every claim as a JSON line, then the 999 it wrote and the
# summary (stderr). Usage: tools/demo.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: tools/demo.sh BUILD_DIR}"
out="$build/demo-out"
mkdir -p "$out"
"$build/daemon/claimd" parse --out "$out" "$root/data/sample/sample.837"
echo "== $out/sample.837.999" >&2
cat "$out/sample.837.999" >&2
