"""Loader for ``black_campaign_pilpres2024``: tweets on the 2024 presidential candidates, an annotation pool.

The ``label`` column came from K-Means clusters, not annotators, and is visibly wrong in places, so it is never read:
rows are returned unlabelled (``label`` None) for manual annotation. 1,293 tweets carry cp1252 mojibake (some of it
encoded twice), which ``repair_text`` undoes; usernames are not returned and @mentions are masked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text

SOURCE = "black_campaign_pilpres2024"
FILE = Path(SOURCE) / "data" / "all-data-cluster.csv"
TEXT_COLUMN = "text"


def load(data_dir: Path) -> pd.DataFrame:
    """Load the raw tweets (not the authors' stemmed ``prepros_text``); the row key is ``text`` as read."""
    df = pd.read_csv(Path(data_dir) / FILE, usecols=[TEXT_COLUMN], dtype=str, keep_default_na=False)
    raw = df[TEXT_COLUMN]
    return build_frame(SOURCE, raw, raw.map(clean_text), [None] * len(df))
