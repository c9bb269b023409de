#!/usr/bin/env bash
# Regenerates the files of data/starter that come from the publishers' files
# (ICD-10-CM, HCPCS, PPRRVU, GPCI, ZIP5, and the derived age/sex and modifier
# lists) from the code lists in this folder. The NCCI, MUE and POS files are
# hand-written and left as they are.
#
#   tools/starter/mkstarter.sh [SHARED_DATA_DIR]   (default: ../shared/data)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${1:-${CLAIMD_SHARED_DATA:-$root/../shared/data}}"
[ -d "$shared/cms" ] || { echo "mkstarter: $shared/cms: no such folder" >&2; exit 1; }
exec python3 "$here/mkstarter.py" "$shared" "$root/data/starter"
