#!/usr/bin/env bash
# Daemon benchmark: a 1 M-claim job through the daemon (dropped in the inbox
# -> outputs complete in out/JOB/) against `claimd scrub` on the same file,
# alternated in one run; and the control latency while the daemon is busy.
#
#   bench/run_daemon.sh
#
# Environment: CLAIMS (1000000), REPS (3), THREADS (2), TABLES (a tables
# version or root; default: the embedded default of the build), WORK
# (/tmp/claimd-bench-daemon), BUILD (build-bench: Release + LTO, as
# bench/run.sh). The daemon runs with duplicate_history_days = 0 and
# repeat_policy = process so that every repetition does the same work as
# the scrub it is compared with (with the history on, a repeat's claims are
# all duplicates, which is a different job).
# Never run from ctest: the machines are shared and noisy; compare the
# ratios measured in one run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
claims="${CLAIMS:-1000000}"
reps="${REPS:-3}"
threads="${THREADS:-2}"
work="${WORK:-/tmp/claimd-bench-daemon}"
build="${BUILD:-$root/build-bench}"
log() { printf '== %s\n' "$*" >&2; }

log "release build in $build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLAIMD_TESTS=OFF -DCLAIMD_LTO=ON >/dev/null
cmake --build "$build" >/dev/null
claimd="$build/daemon/claimd"
claimctl="$build/tools/claimctl/claimctl"
tables="${TABLES:-$build/tables/default}"

rm -rf "$work"
mkdir -p "$work/drop"
batch="$work/batch.837"
log "claimgen batch: $claims claims"
"$build/tools/claimgen/claimgen" batch --claims "$claims" --errors 0.05 --seed 7 --out "$batch" 2>/dev/null

cat >"$work/claimd.conf" <<EOF
spool = $work/spool
socket = $work/ctl.sock
audit_log = $work/audit.log
tables = $tables
threads = $threads
duplicate_history_days = 0
repeat_policy = process
min_free_disk_mb = 0
EOF
"$claimd" --config "$work/claimd.conf" 2>"$work/daemon.log" &
dpid=$!
trap 'kill $dpid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$work/ctl.sock" ] && break; sleep 0.1; done

python3 - "$claimd" "$claimctl" "$batch" "$work" "$threads" "$tables" "$reps" <<'EOF'
import os, shutil, socket, statistics, subprocess, sys, threading, time

claimd, claimctl, batch, work, threads, tables, reps = sys.argv[1:]
reps = int(reps)
spool = os.path.join(work, "spool")
sock = os.path.join(work, "ctl.sock")

def scrub_once(i):
    out = os.path.join(work, f"scrub-{i}")
    t0 = time.monotonic()
    subprocess.run([claimd, "scrub", "--threads", threads, "--tables", tables,
                    "--out", out, batch], check=True, stderr=subprocess.DEVNULL)
    dt = time.monotonic() - t0
    shutil.rmtree(out)
    return dt

def daemon_once(i):
    outdir = os.path.join(spool, "out")
    before = set(os.listdir(outdir))
    staged = os.path.join(spool, f".stage-{i}.837")
    shutil.copyfile(batch, staged)  # on the spool's file system: the drop is a rename
    t0 = time.monotonic()
    os.rename(staged, os.path.join(spool, "inbox", f"b{i}.837"))
    while True:
        new = set(os.listdir(outdir)) - before
        if new:
            break
        time.sleep(0.002)
    return time.monotonic() - t0, new.pop()

def ctl(line):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(65536)
        if not b:
            break
        buf += b
    s.close()
    return buf

scrub, dmn = [], []
for i in range(reps):
    scrub.append(scrub_once(i))
    dt, job = daemon_once(i)
    dmn.append(dt)
    shutil.rmtree(os.path.join(spool, "out", job))
    print(f"rep {i}: scrub {scrub[-1]:.3f} s, daemon {dt:.3f} s", file=sys.stderr)

import re
with open(batch, "rb") as f:
    n = len(re.findall(rb"(?:^|[~\n])CLM\*", f.read()))
ms, md = statistics.median(scrub), statistics.median(dmn)
print(f"claims per job          {n}")
print(f"claimd scrub            median {ms:.3f} s  ({n/ms:,.0f} claims/s)")
print(f"daemon inbox -> out/    median {md:.3f} s  ({n/md:,.0f} claims/s)")
print(f"daemon / scrub          {md/ms:.3f}  (target <= 1.10)")

# control latency while the daemon is busy with a job
lat_sock, lat_cli = [], []
done = threading.Event()
def load():
    daemon_once(100)
    done.set()
th = threading.Thread(target=load)
th.start()
time.sleep(0.3)
while not done.is_set():
    t0 = time.monotonic(); ctl("stats"); lat_sock.append(time.monotonic() - t0)
    t0 = time.monotonic()
    subprocess.run([claimctl, "--socket", sock, "stats"], stdout=subprocess.DEVNULL, check=True)
    lat_cli.append(time.monotonic() - t0)
th.join()
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] * 1000
print(f"busy: socket 'stats'    n={len(lat_sock)} p50 {pct(lat_sock,.5):.2f} ms  p99 {pct(lat_sock,.99):.2f} ms  max {max(lat_sock)*1000:.2f} ms")
print(f"busy: claimctl stats    n={len(lat_cli)} p50 {pct(lat_cli,.5):.2f} ms  p99 {pct(lat_cli,.99):.2f} ms (process start included; reads the shared segment)")
EOF
kill "$dpid"
wait "$dpid" || true
trap - EXIT
