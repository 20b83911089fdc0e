"""Loader for ``pilkada_banten2024_youtube``: YouTube comments on the 2024 Banten governor debates, an annotation pool.

No labels exist; rows are returned unlabelled. The video title is not returned (it is the same for many rows and
would identify the source, not the content).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text

SOURCE = "pilkada_banten2024_youtube"
FILE = Path(SOURCE) / "data.csv"
TEXT_COLUMN = "Comment"


def load(data_dir: Path) -> pd.DataFrame:
    """Load the comments; the row key is ``Comment`` as read."""
    df = pd.read_csv(Path(data_dir) / FILE, usecols=[TEXT_COLUMN], dtype=str, keep_default_na=False)
    raw = df[TEXT_COLUMN]
    return build_frame(SOURCE, raw, raw.map(clean_text), [None] * len(df))
