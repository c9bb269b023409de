#!/usr/bin/env python3
"""Turns bench/run.sh's runs.jsonl into results.json, summary.txt and,
where gnuplot is installed, throughput.png (claims/s against threads).

Usage: bench/report.py RUNS.jsonl OUTDIR
Standard library only.
"""
import json
import os
import re
import shutil
import subprocess
import sys


def load(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                runs.append(json.loads(line))
    return runs


def floors(runs):
    """claims -> {read_mbps, memchr_mbps} from bench_parse's JSON."""
    out = {}
    for r in runs:
        if r.get("kind") != "floors":
            continue
        bp = r.get("bench_parse") or {}
        got = {}
        for m in bp.get("results", []) if isinstance(bp, dict) else []:
            if m.get("mode") in ("read", "memchr"):
                got[m["mode"] + "_mbps"] = m.get("mb_s")
        out[r["claims"]] = got
    return out


def main():
    runs = load(sys.argv[1])
    outdir = sys.argv[2]
    fl = floors(runs)
    fsync = {r["claims"]: r for r in runs if r.get("kind") == "write_fsync"}
    rows = []
    for r in runs:
        if r.get("kind") != "scrub":
            continue
        secs = float(r["seconds"]) or 1e-9
        row = {
            "claims": r["claims"],
            "threads": r["threads"],
            "seconds": round(secs, 3),
            "claims_per_s": round(r["claims"] / secs),
            "mb_per_s": round(r["bytes"] / secs / 1e6, 1),
            "peak_anon_mib": round(r["peak_anon_kib"] / 1024, 1),
            "peak_mapped_mib": round(r["peak_file_kib"] / 1024, 1),
            "output_bytes": r["output_bytes"],
            "scrub_summary": r.get("stderr_summary", ""),
        }
        f = fl.get(r["claims"], {})
        row.update({k: v for k, v in f.items() if v})
        w = fsync.get(r["claims"])
        if w and float(w["seconds"]) > 0:
            row["write_fsync_mb_per_s"] = round(w["bytes"] / float(w["seconds"]) / 1e6, 1)
        rows.append(row)
    result = {"runs": rows, "raw": runs}
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(result, f, indent=2)

    lines = ["%8s %7s %9s %11s %8s %9s %10s %9s %9s" % (
        "claims", "threads", "seconds", "claims/s", "MB/s", "anon MiB", "mapped MiB",
        "read MB/s", "memchr")]
    for r in rows:
        lines.append("%8d %7d %9.3f %11d %8.1f %9.1f %10.1f %9s %9s" % (
            r["claims"], r["threads"], r["seconds"], r["claims_per_s"], r["mb_per_s"],
            r["peak_anon_mib"], r["peak_mapped_mib"], r.get("read_mbps", "-"),
            r.get("memchr_mbps", "-")))
    by = {}
    for r in rows:
        by.setdefault(r["claims"], {})[r["threads"]] = r["claims_per_s"]
    for n, t in sorted(by.items()):
        if 1 in t and len(t) > 1:
            best = max(k for k in t if k != 1)
            lines.append("scaling at %d claims: %d threads = %.2fx of 1 thread" % (
                n, best, t[best] / t[1]))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "summary.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)

    if shutil.which("gnuplot") and rows:
        dat = os.path.join(outdir, "throughput.dat")
        with open(dat, "w") as f:
            for n in sorted(by):
                for t in sorted(by[n]):
                    f.write("%d %d %d\n" % (n, t, by[n][t]))
                f.write("\n\n")
        plots = ", ".join(
            "'%s' index %d using 2:3 with linespoints title '%d claims'" % (dat, i, n)
            for i, n in enumerate(sorted(by)))
        script = ("set terminal pngcairo size 800,500; set output '%s';"
                  "set xlabel 'threads'; set ylabel 'claims/s'; set grid;"
                  "set title 'claimd scrub throughput'; plot %s" % (
                      os.path.join(outdir, "throughput.png"), plots))
        try:
            subprocess.run(["gnuplot", "-e", script], check=True)
        except (subprocess.CalledProcessError, OSError):
            script = script.replace("pngcairo", "png")
            subprocess.run(["gnuplot", "-e", script], check=False)


if __name__ == "__main__":
    main()
