"""Loader for ``pilkada_jatim2024_tweets``: tweets on the 2024 East Java governor election, an annotation pool.

``Label`` is sentiment (neutral/positive/negative), not one of our classes, so rows are returned unlabelled.
Usernames (including candidates' and news accounts) are not returned and @mentions are masked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text

SOURCE = "pilkada_jatim2024_tweets"
FILE = Path(SOURCE) / "Data" / "ReLabeling - Gabungan.csv"
TEXT_COLUMN = "full_text"


def load(data_dir: Path) -> pd.DataFrame:
    """Load the combined file (the per-candidate files upstream are subsets); the row key is ``full_text`` as read."""
    df = pd.read_csv(Path(data_dir) / FILE, usecols=[TEXT_COLUMN], dtype=str, keep_default_na=False)
    raw = df[TEXT_COLUMN]
    return build_frame(SOURCE, raw, raw.map(clean_text), [None] * len(df))
