"""Loader for ``id_stance_political_blogs``: Kompasiana opinion pieces on candidates (Jannati et al. 2018).

The stance labels (for/against a figure) are not our labels: every article is a political opinion piece, which is
benign under our definitions (harsh criticism included). The 2018 file re-annotates most of the 2016 file, so an
article whose title was already loaded is skipped (one row per article, 2018 version first). Some 2018 bodies carry
UTF-8 read as Mac Roman (``‚Äô`` for ’), repaired like the desrul comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text, join_fields, normalize_whitespace

SOURCE = "id_stance_political_blogs"
#: (file, read_csv options, title column, body column); the 2018 file first so that its version wins.
FILES = [
    (Path(SOURCE) / "dataset_stance_2_label_2018_building_by_rini.csv", {"sep": ";", "encoding": "utf-8-sig"},
     "Judul Artikel", "Isi Artikel"),
    (Path(SOURCE) / "dataset_stance_3_label_2016_building_by_cakra.csv", {}, "title", "content"),
]
LABEL = "benign"
SUBTYPE = "political_blog"
MOJIBAKE_CODEC = "mac_roman"


def _paragraphs(body: str) -> str:
    """Bodies are JSON lists of paragraphs, or (122 rows) the same list without JSON quoting: ``[ text ]``."""
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return body.strip().removeprefix("[").removesuffix("]")
    return "\n".join(str(p) for p in parsed) if isinstance(parsed, list) else str(parsed)


def _read(data_dir: Path) -> pd.DataFrame:
    frames = []
    for path, options, title, body in FILES:
        df = pd.read_csv(Path(data_dir) / path, dtype=str, keep_default_na=False, **options)
        frames.append(pd.DataFrame({"title": df[title], "body": df[body]}))
    return pd.concat(frames, ignore_index=True)


def load(data_dir: Path) -> pd.DataFrame:
    """Load both files, one row per article; the row key is ``title + "\\n" + body`` as read."""
    df = _read(data_dir)
    df = df[~df["title"].map(lambda t: normalize_whitespace(t).lower()).duplicated()]
    raw = [join_fields([title, body]) for title, body in zip(df["title"], df["body"])]
    texts = [clean_text(join_fields([t, _paragraphs(b)]), MOJIBAKE_CODEC) for t, b in zip(df["title"], df["body"])]
    return build_frame(SOURCE, raw, texts, [LABEL] * len(df), [SUBTYPE] * len(df))
