"""Loader for ``netifier_toxicity``: multi-label toxic posts from Twitter, Instagram and Kaskus (Netifier 2018).

Only ``sara`` matches our hate definition; posts flagged only for pornography, radicalism or defamation are neither
hate nor clearly benign, so they are dropped. Train and test are both loaded: their 100 shared texts and the
duplicates inside train are the corpus builder's job.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .common import DROP, build_frame, mask_identifiers, normalize_whitespace, repair_text

SOURCE = "netifier_toxicity"
FILES = [Path(SOURCE) / "data" / "raw" / "train.csv", Path(SOURCE) / "data" / "raw" / "test.csv"]
LABEL_COLUMNS = ["pornografi", "sara", "radikalisme", "pencemaran_nama_baik"]

#: sara = ethnic/religious/racial hostility -> hate_speech, whatever else is flagged; all-zero -> benign;
#: any other combination (porn/radicalism/defamation only) -> drop: not hate under our definition, not benign either.
SARA_SUBTYPE = "sara"

#: Kaskus BBCode: quote tags carry usernames, and all the markup identifies the forum. Embedded videos become a URL.
_BBCODE_VIDEO = re.compile(r"\[youtube\].*?\[/youtube\]", re.IGNORECASE | re.DOTALL)
_BBCODE_TAG = re.compile(
    r"\[/?(?:quote|img|b|i|u|s|color|size|font|url|center|left|right|align|spoiler|list|code|\*)(?:=[^\]]*)?\]",
    re.IGNORECASE,
)


def _clean(raw: str) -> str:
    """Repair, turn embedded videos into ``HTTPURL``, strip BBCode tags, then mask and collapse whitespace."""
    text = _BBCODE_VIDEO.sub(" HTTPURL ", repair_text(raw))
    return normalize_whitespace(mask_identifiers(_BBCODE_TAG.sub(" ", text)))


def load(data_dir: Path) -> pd.DataFrame:
    """Load train + test (raw files; the processed ones are absent from the snapshot)."""
    frames = [pd.read_csv(Path(data_dir) / f, dtype={"original_text": str}, keep_default_na=False) for f in FILES]
    df = pd.concat(frames, ignore_index=True)
    sara = df["sara"] == 1
    no_flag = df[LABEL_COLUMNS].sum(axis=1) == 0
    labels = pd.Series(DROP, index=df.index).mask(no_flag, "benign").mask(sara, "hate_speech")
    subtypes = pd.Series(None, index=df.index, dtype=object).mask(sara, SARA_SUBTYPE)
    return build_frame(SOURCE, df["original_text"], df["original_text"].map(_clean), labels, subtypes)
