"""Loader for ``pratiwi2017_hoax_news``: 2017 Indonesian news articles judged hoax / valid (Pratiwi et al. 2017).

Only the 600-article file is read: 249 of the 250-article file's texts are inside it. "Valid" articles are often
debunks of the paired hoax topic, so words like ``hoax``/``hoaks``/``tidak benar``/``klarifikasi`` are much more
frequent in them (an inverse keyword leak). Under our schema a debunk is benign, so that signal is not wrong, but
evaluation on this source alone will overrate a model; verdict words used as tags (a line that is only ``FAKTA:``)
are removed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import build_frame, map_values, mask_identifiers, normalize_whitespace, repair_text, strip_verdict_tags

SOURCE = "pratiwi2017_hoax_news"
FILE = Path(SOURCE) / "data" / "600 news with valid hoax label.csv"
ENCODING = "cp1252"

LABEL_MAP = {"Hoax": "hoax", "Valid": "benign"}
#: Valid articles are mostly news/clarifications about the hoax topic: benign, marked so they can be told apart.
SUBTYPE_MAP = {"Hoax": None, "Valid": "debunk_article"}


def _clean(raw: str) -> str:
    return normalize_whitespace(mask_identifiers(strip_verdict_tags(repair_text(raw))))


def load(data_dir: Path) -> pd.DataFrame:
    """Load the 600 articles (``;``-separated, cp1252, multi-line quoted)."""
    df = pd.read_csv(Path(data_dir) / FILE, sep=";", encoding=ENCODING, dtype=str, keep_default_na=False)
    tags = df["tagging"].str.strip()
    labels = map_values(tags, LABEL_MAP, SOURCE)
    subtypes = map_values(tags, SUBTYPE_MAP, SOURCE)
    return build_frame(SOURCE, df["berita"], df["berita"].map(_clean), labels, subtypes)
