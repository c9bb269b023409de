"""Checks an X12 file's envelope counts (SE01, SE02, GE01/GE02, IEA01/IEA02), the ISA
width and every XX NPI check digit: python3 data/sample/check.py data/sample/sample.837"""
import sys
t = open(sys.argv[1]).read()
assert t.startswith("ISA") and t[105] == "~", "ISA width"
el, seg = t[3], t[105]
ss = [s.strip("\r\n") for s in t.split(seg) if s.strip("\r\n")]
stack = []
for s in ss:
    e = s.split(el)
    if e[0] == "ISA": isa, ngs = e, 0
    elif e[0] == "GS": gs, nst, ngs = e, 0, ngs + 1
    elif e[0] == "ST": st, n = e, 1; nst += 1; continue
    elif e[0] == "SE":
        n += 1
        assert int(e[1]) == n, f"SE01 {e[1]} != {n}"; assert e[2] == st[2]; n = None
    elif e[0] == "GE": assert int(e[1]) == nst and e[2] == gs[6], "GE"
    elif e[0] == "IEA": assert int(e[1]) == ngs and e[2] == isa[13], "IEA"
    if e[0] not in ("ISA", "GS", "GE", "IEA", "SE"): n += 1
    if e[0] in ("NM1",) and len(e) > 9 and e[8] == "XX":
        v = e[9]; ds = [int(c) for c in "80840" + v]
        tot = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d for i, d in enumerate(reversed(ds)))
        assert tot % 10 == 0, f"NPI {v}"
    if e[0] == "CLM": print("claim", e[1], e[2])
print("ok:", len(ss), "segments")
