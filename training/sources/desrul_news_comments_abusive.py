"""Loader for ``desrul_news_comments_abusive``: comments under 2019 news stories, labelled for abusive language.

The xlsx text has UTF-8 that was read as Mac Roman (``\uf8ffüòâ`` for 😉, ``ÔøΩ`` for a lost character,
``‚Å£`` for an invisible separator); ftfy doesn't cover that codec, so ``repair_text`` gets it explicitly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import build_frame, clean_text, map_values

SOURCE = "desrul_news_comments_abusive"
#: Note the space before ``.xlsx``: that is the upstream file name.
FILE = Path(SOURCE) / "Dataset" / "Abusive Language Detection on Indonesian Online News Comments Dataset .xlsx"
MOJIBAKE_CODEC = "mac_roman"

#: 1 = not abusive, 2 = abusive not offensive, 3 = abusive and offensive. Abuse without an identity target is not
#: hate speech under our definition, so every row is benign; the abusive ones keep ``abusive`` as subtype.
LABEL_MAP = {1: "benign", 2: "benign", 3: "benign"}
SUBTYPE_MAP = {1: None, 2: "abusive", 3: "abusive"}


def load(data_dir: Path) -> pd.DataFrame:
    """Load the comments; numeric-only cells are read as their digits."""
    df = pd.read_excel(Path(data_dir) / FILE, dtype={"Kalimat": str}).fillna({"Kalimat": ""})
    labels = map_values(df["label"], LABEL_MAP, SOURCE)
    subtypes = map_values(df["label"], SUBTYPE_MAP, SOURCE)
    texts = df["Kalimat"].map(lambda raw: clean_text(raw, MOJIBAKE_CODEC))
    return build_frame(SOURCE, df["Kalimat"], texts, labels, subtypes)
