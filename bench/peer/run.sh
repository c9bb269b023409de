#!/usr/bin/env bash
# Peer comparison: the same batch parsed by the node-x12 npm package (parse
# only, no validation), as claims/s; prints one JSON line for bench/run.sh.
# Optional, outside the test suite. Needs Node.js and the npm registry.
#   bench/peer/run.sh FILE.837
set -euo pipefail
file="$1"
dir="${PEER_DIR:-/tmp/claimd-peer}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$dir"
if [ ! -d "$dir/node_modules/node-x12" ]; then
    (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund node-x12@1 >/dev/null)
fi
NODE_PATH="$dir/node_modules" node --max-old-space-size=8192 "$here/node_x12_parse.js" "$file"
