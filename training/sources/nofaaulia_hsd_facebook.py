"""Loader for ``nofaaulia_hsd_facebook``: long Facebook posts labelled hate / not hate (Aulia & Budi 2019)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text, map_values

SOURCE = "nofaaulia_hsd_facebook"
FILE = Path(SOURCE) / "data" / "dataset.csv"

#: The file stores the README's hate / not-hate classes as 1 / 0.
LABEL_MAP = {1: "hate_speech", 0: "benign"}


def load(data_dir: Path) -> pd.DataFrame:
    """Load the 906 posts (UTF-8, multi-line quoted CSV)."""
    df = pd.read_csv(Path(data_dir) / FILE, dtype={"text": str}, keep_default_na=False)
    labels = map_values(df["label"], LABEL_MAP, SOURCE)
    return build_frame(SOURCE, df["text"], df["text"].map(clean_text), labels)
