"""Build functional_suite.csv and sanity.csv from src/*.txt and run quality checks."""
import collections
import csv
import itertools
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
LABELS = {"hoax", "hate_speech", "illegal_campaign", "benign"}
PREFIX = {"hate": "hate_speech", "benign": "benign", "hoax": "hoax", "ic": "illegal_campaign"}

def parse(path, with_label=True):
    blocks, cur = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith("@@ "):
            parts = line[3:].split()
            cur = parts[0]
            assert cur not in blocks, cur
            blocks[cur] = {"label": parts[1] if with_label else None, "texts": []}
        else:
            blocks[cur]["texts"].append(line.strip())
    return blocks

suite = {}
for f in ["hate.txt", "benign.txt", "hoax.txt", "ic.txt", "extra.txt"]:
    for k, v in parse(HERE / f).items():
        assert k not in suite, k
        suite[k] = v
rows = []
for func, b in suite.items():
    assert b["label"] in LABELS, (func, b["label"])
    assert PREFIX[func.split("_")[0]] == b["label"], func
    for i, t in enumerate(b["texts"], 1):
        rows.append({"case_id": f"{func}_{i:02d}", "functionality": func, "label": b["label"], "text": t})
with open(OUT / "functional_suite.csv", "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=["case_id", "functionality", "label", "text"]); w.writeheader(); w.writerows(rows)

san = parse(HERE / "sanity.txt", with_label=False)
srows = []
for cat, b in san.items():
    for i, t in enumerate(b["texts"], 1):
        srows.append({"case_id": f"sanity_{cat}_{i:02d}", "category": cat, "text": t})
with open(OUT / "sanity.csv", "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=["case_id", "category", "text"]); w.writeheader(); w.writerows(srows)

# ---- checks
ok = True
def fail(msg):
    global ok; ok = False; print("FAIL:", msg)
ids = [r["case_id"] for r in rows] + [r["case_id"] for r in srows]
if len(ids) != len(set(ids)): fail("duplicate case_ids")
norm = lambda t: re.sub(r"\s+", " ", t.lower()).strip()
c = collections.Counter(norm(r["text"]) for r in rows)
for t, n in c.items():
    if n > 1: fail(f"duplicate text x{n}: {t}")
cs = collections.Counter(r["text"] for r in srows)
for t, n in cs.items():
    if n > 1: fail(f"duplicate sanity text x{n}: {t}")
inter = {norm(r["text"]) for r in rows} & {norm(r["text"]) for r in srows}
if inter: fail(f"sanity/suite overlap {inter}")
per = collections.Counter(r["functionality"] for r in rows)
for f, n in per.items():
    if n < 22: fail(f"{f} has {n} < 22")
if len(per) < 36: fail(f"only {len(per)} functionalities")
if len(rows) < 800: fail(f"only {len(rows)} cases")
sc = collections.Counter(r["category"] for r in srows)
if len(sc) < 12 or min(sc.values()) < 10: fail(f"sanity categories {sc}")
# near duplicates: token-set Jaccard and char-trigram Jaccard within a functionality
def toks(t): return set(re.findall(r"\w+", t.lower()))
def tri(t):
    t = norm(t); return {t[i:i+3] for i in range(len(t) - 2)}
near = []
for f in per:
    texts = [r["text"] for r in rows if r["functionality"] == f]
    for a, b in itertools.combinations(texts, 2):
        ta, tb = toks(a), toks(b)
        j = len(ta & tb) / max(1, len(ta | tb))
        ca, cb = tri(a), tri(b)
        j3 = len(ca & cb) / max(1, len(ca | cb))
        if j >= 0.6 or j3 >= 0.6: near.append((f, round(j, 2), round(j3, 2), a, b))
pairs = sum(n * (n - 1) // 2 for n in per.values())
print(f"near-duplicate pairs (token or trigram Jaccard >= 0.6): {len(near)} of {pairs} within-functionality pairs")
for x in near: print("  NEAR", x)
# overlap with the guideline's own example sentences (must not be reused verbatim)
gpath = OUT.parent / "annotation_guidelines.md"
if gpath.exists():
    gex = [tri(e) for e in re.findall(r'"([^"\n]{15,})"', gpath.read_text(encoding="utf-8"))]
    worst = max((len(tri(r["text"]) & g) / len(tri(r["text"]) | g), r["case_id"]) for r in rows for g in gex)
    print(f"max char-trigram Jaccard with a guideline example: {worst[0]:.2f} ({worst[1]})")
    if worst[0] >= 0.5: fail("a case is too close to a guideline example")
print(f"cases={len(rows)} functionalities={len(per)} sanity={len(srows)} sanity_categories={len(sc)}")
print("per label:", dict(collections.Counter(r["label"] for r in rows)))
for f, n in per.items(): print(f"  {f:40s} {suite[f]['label']:17s} {n}")
print("sanity:", dict(sc))
print("ALL CHECKS PASSED" if ok else "CHECKS FAILED")
sys.exit(0 if ok else 1)
