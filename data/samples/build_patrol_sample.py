"""Write ``data/samples/patrol_sample.csv``: a small monitoring export for demos, the notebook and tests.

    python data/samples/build_patrol_sample.py

240 project-written posts from ``data/authored/`` (120 benign, 40 of each flag label), spread over every writing
register (casual, formal, slang, regional languages, mixed), shuffled, with export-style columns ``post_id, platform,
register, text``, plus three bad rows that a real export has: an empty text, a whitespace-only text, and a text with
bytes that are not valid UTF-8. Deterministic (seed below). The posts are in the shipped model's training data, so the
sample shows the workflow, not the model's accuracy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "data" / "samples" / "patrol_sample.csv"
PER_LABEL = {"benign": 120, "hoax": 40, "hate_speech": 40, "illegal_campaign": 40}
PLATFORMS = ("facebook", "x", "tiktok", "instagram", "whatsapp_group", "youtube_comment")
SEED = 2024
BROKEN = "__BROKEN_BYTES__"


def authored() -> pd.DataFrame:
    paths = sorted((REPO / "data" / "authored").glob("*.csv"))
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in paths]
    return pd.concat(frames, ignore_index=True)


def stratified(posts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """``PER_LABEL`` posts per label, taken round-robin over registers so that rare registers are represented."""
    picked = []
    for label, n in PER_LABEL.items():
        pool = posts[posts["label"] == label]
        groups = {register: list(rng.permutation(group.index)) for register, group in pool.groupby("register")}
        chosen: list[int] = []
        while len(chosen) < n and any(groups.values()):
            for register in sorted(groups):
                if groups[register] and len(chosen) < n:
                    chosen.append(groups[register].pop())
        picked.append(posts.loc[chosen])
    sample = pd.concat(picked)
    return sample.iloc[rng.permutation(len(sample))].reset_index(drop=True)


def main() -> int:
    rng = np.random.default_rng(SEED)
    sample = stratified(authored(), rng)
    out = pd.DataFrame({
        "post_id": [f"P{i:04d}" for i in range(1, len(sample) + 1)],
        "platform": rng.choice(PLATFORMS, size=len(sample)),
        "register": sample["register"],
        "text": sample["text"],
    })
    bad = pd.DataFrame({
        "post_id": ["P9001", "P9002", "P9003"], "platform": ["facebook", "x", "whatsapp_group"],
        "register": ["", "", ""], "text": ["", "   ", f"Teruskan ke grup {BROKEN} sebelum dihapus"],
    })
    for position, row in zip((17, 101, 202), bad.itertuples(index=False)):
        out = pd.concat([out.iloc[:position], pd.DataFrame([row._asdict()]), out.iloc[position:]], ignore_index=True)
    data = out.to_csv(index=False, lineterminator="\n").encode("utf-8").replace(BROKEN.encode(), b"\xff\xfe\xfd")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"wrote {len(out)} rows to {OUT.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
