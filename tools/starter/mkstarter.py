#!/usr/bin/env python3
"""Regenerates the derived files of data/starter from the shared reference data.

Usage: mkstarter.py SHARED_DATA_DIR OUT_DIR

Reads the code lists beside this script (*.codes, agesex.extra) and copies the
selected rows, byte for byte, from the publishers' files under SHARED_DATA_DIR
into OUT_DIR, keeping each file's banner, header and line endings. Only the
ICD-10-CM order numbers are rewritten (1..N, as in a real order file). The
NCCI, MUE and POS files of the starter set are hand-written and not touched.
Standard library only; the output is a pure function of the inputs.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    sys.stderr.write("mkstarter: %s\n" % msg)
    sys.exit(1)


def read_list(name):
    """Entries of a code list: comments and blank lines dropped."""
    out = []
    with open(os.path.join(HERE, name), encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def expand(entry):
    """'99202-99215' -> every code of that shape in the range; 'X' -> ['X']."""
    m = re.fullmatch(r"([A-Z]?)(\d+)-([A-Z]?)(\d+)", entry)
    if not m:
        return [entry]
    pre, lo, pre2, hi = m.groups()
    if pre != pre2 or len(lo) != len(hi):
        die("bad range %s" % entry)
    return ["%s%0*d" % (pre, len(lo), n) for n in range(int(lo), int(hi) + 1)]


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        die("%s: %s" % (path, e.strerror))


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    print("%-28s %7d bytes" % (os.path.basename(path), len(data)))


def lines_keepends(data):
    return data.splitlines(keepends=True)


def icd10cm(shared, out):
    src = read_bytes(os.path.join(shared, "cms/icd10cm/icd10cm_order_2022.txt"))
    rows = lines_keepends(src)
    exact, prefixes = set(), []
    for e in read_list("icd10cm.codes"):
        if e.endswith("*"):
            prefixes.append(e[:-1])
        else:
            exact.add(e)
    code_of = [r[6:13].decode("ascii").strip() for r in rows]
    chosen = set()
    for c in code_of:
        if c in exact or any(c.startswith(p) for p in prefixes):
            chosen.add(c)
    missing = exact - chosen
    if missing:
        die("ICD-10-CM codes not in the order file: %s" % " ".join(sorted(missing)))
    headers = {c for c, r in zip(code_of, rows) if r[14:15] == b"0"}
    if exact & headers:
        die("ICD-10-CM entries that are headers, not billable codes (name a code "
            "below them, or use PREFIX*): %s" % " ".join(sorted(exact & headers)))
    for c in list(chosen):
        for n in range(3, len(c)):
            if c[:n] in headers:
                chosen.add(c[:n])
    outrows, n = [], 0
    for c, r in zip(code_of, rows):
        if c in chosen:
            n += 1
            outrows.append(b"%05d" % n + r[5:])
    write_atomic(os.path.join(out, "icd10cm_order_2025.txt"), b"".join(outrows))
    return [c for c in code_of if c in chosen]


def hcpcs(shared, out, alpha_codes):
    src = read_bytes(os.path.join(shared, "cms/hcpcs/HCPC2020_ANWEB_w_disclaimer.txt"))
    rows = lines_keepends(src)
    want = set(alpha_codes) | set(read_list("hcpcs.codes"))
    want |= set(read_list("hcpcs_modifiers.codes"))
    first = next(i for i, r in enumerate(rows) if len(r.rstrip(b"\r\n")) >= 11
                 and r[10:11] in b"3478" and r[5:10].isdigit())
    outrows = rows[:first]  # the disclaimer paragraph, as published
    found = set()
    for r in rows[first:]:
        code = r[0:5].decode("latin-1").strip()
        if code in want:
            outrows.append(r)
            found.add(code)
    write_atomic(os.path.join(out, "hcpcs.txt"), b"".join(outrows))
    return want - found


def pprrvu(shared, out, codes):
    src = read_bytes(os.path.join(shared, "cms/mpfs/PPRRVU2025_Oct.csv"))
    rows = lines_keepends(src)
    hdr = next(i for i, r in enumerate(rows) if r.startswith(b"HCPCS,MOD,"))
    outrows = rows[: hdr + 1]
    want, found = set(codes), set()
    for r in rows[hdr + 1:]:
        code = r.split(b",", 1)[0].decode("ascii")
        if code in want:
            outrows.append(r)
            found.add(code)
    write_atomic(os.path.join(out, "pprrvu.csv"), b"".join(outrows))
    return found


def gpci(shared, out):
    # Small and wanted whole: every locality, with its banner and footnotes.
    src = read_bytes(os.path.join(shared, "cms/mpfs/GPCI2025.csv"))
    write_atomic(os.path.join(out, "gpci2025.csv"), src)


def zip5(shared, out):
    src = read_bytes(os.path.join(shared, "cms/mpfs/ZIP5_OCT2025.txt"))
    rows = lines_keepends(src)
    want = set(read_list("zip5.codes"))
    per_loc, plus4, keep = {}, 0, []
    for r in rows:
        z, loc = r[2:7].decode("ascii"), r[7:14]
        take = z in want
        if per_loc.get(loc, 0) < 3:
            per_loc[loc] = per_loc.get(loc, 0) + 1
            take = True
        if r[20:21] == b"1" and plus4 < 12:
            plus4 += 1
            take = True
        if take:
            keep.append(r)
            want.discard(z)
    if want:
        die("ZIPs not in the ZIP5 file: %s" % " ".join(sorted(want)))
    write_atomic(os.path.join(out, "zip5.txt"), b"".join(keep))


def agesex(out, icd_codes, icd_billable):
    rows, seen = [], set()
    for c in icd_codes:
        if c not in icd_billable:
            continue
        if c.startswith("O"):
            rows.append("%s,F,12,55" % c)
        elif c.startswith("P") or c.startswith("Z38"):
            rows.append("%s,,0,0" % c)
        else:
            continue
        seen.add(c)
    for line in read_list("agesex.extra"):
        code = line.split(",", 1)[0]
        if code in seen:
            die("agesex.extra repeats a derived code: %s" % code)
        seen.add(code)
        rows.append(line)
    text = "code,sex,min_age,max_age\n" + "".join(r + "\n" for r in rows)
    write_atomic(os.path.join(out, "agesex.csv"), text.encode("ascii"))


def modifiers(out):
    text = "".join(m + "\n" for m in read_list("modifiers.codes"))
    write_atomic(os.path.join(out, "modifiers.txt"), text.encode("ascii"))


def c_string(line):
    out = []
    for b in line:
        ch = chr(b)
        if ch in "\\\"":
            out.append("\\" + ch)
        elif 32 <= b < 127 and ch != "?":
            out.append(ch)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def c_array(name, lines):
    body = "".join("    %s,\n" % c_string(l) for l in lines)
    return "static const char *const %s[] = {\n%s};\n\n" % (name, body)


def claimgen_inc(out, inc):
    """The starter rows that claimgen tables merges into its synthetic files,
    so batches made from the starter codes hit the big tables too."""
    def rows(name):
        data = read_bytes(os.path.join(out, name))
        return [l.rstrip(b"\r\n") for l in lines_keepends(data)]
    icd = [l[6:] for l in rows("icd10cm_order_2025.txt")]
    hc = [l for l in rows("hcpcs.txt") if len(l) > 11 and l[5:10].isdigit()
          and l[10:11] in b"3478"]
    rv = [l for l in rows("pprrvu.csv") if l[:1].isalnum() and not l.startswith(b"HCPCS,")]
    nc = [l for l in rows("ncci_ptp.txt") if l[:1].isalnum() and l.count(b"\t") == 6
          and l.split(b"\t")[3].isdigit()]
    mue = [l for l in rows("mue.csv") if re.match(rb"[0-9A-Z]{5},[0-9]+,", l)]
    zips = sorted({l[0:7] for l in rows("zip5.txt")})
    text = ("/* Generated by tools/starter/mkstarter.py from data/starter: do not edit.\n"
            " * The starter set's rows, merged by claimgen tables into its synthetic\n"
            " * files (ICD-10-CM rows without their order number; ZIPs with their\n"
            " * state, as STZZZZZ). */\n\n")
    text += c_array("starter_icd10", icd) + c_array("starter_hcpcs", hc)
    text += c_array("starter_pprrvu", rv) + c_array("starter_ncci", nc)
    text += c_array("starter_mue", mue) + c_array("starter_zip5", zips)
    write_atomic(inc, text.encode("ascii"))


def main():
    if len(sys.argv) != 3:
        die("usage: mkstarter.py SHARED_DATA_DIR OUT_DIR")
    shared, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    icd_codes = icd10cm(shared, out)
    icd_rows = lines_keepends(read_bytes(os.path.join(out, "icd10cm_order_2025.txt")))
    billable = {r[6:13].decode().strip() for r in icd_rows if r[14:15] == b"1"}
    procs = [c for e in read_list("procedures.codes") for c in expand(e)]
    found = pprrvu(shared, out, procs)
    # Ranges may name numbers CMS does not use (99210); single codes must exist.
    singles = {e for e in read_list("procedures.codes") if "-" not in e}
    if singles - found:
        die("procedure codes not in PPRRVU: %s" % " ".join(sorted(singles - found)))
    alpha = sorted(c for c in found if c[0].isalpha())
    absent = hcpcs(shared, out, alpha)
    if absent:
        print("not in the 2020 HCPCS file (newer codes): %s" % " ".join(sorted(absent)))
    gpci(shared, out)
    zip5(shared, out)
    agesex(out, icd_codes, billable)
    modifiers(out)
    claimgen_inc(out, os.path.join(HERE, "../claimgen/starter_rows.inc"))


if __name__ == "__main__":
    main()
