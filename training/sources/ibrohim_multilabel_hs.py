"""Loader for ``ibrohim_multilabel_hs``: tweets with multi-label hate-speech/abusive annotations (Ibrohim & Budi 2019).

The file is latin-1 with emoji dumped as ``\\xNN`` text, a stray ``'`` closing 6,708 tweets (left over from Python
byte-string dumping; it is label-correlated, so it must go) and the authors' ``USER``/``URL`` placeholders.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pandas as pd

from .common import DROP, build_frame, mask_identifiers, normalize_whitespace, repair_text

SOURCE = "ibrohim_multilabel_hs"
FILE = Path(SOURCE) / "re_dataset.csv"
#: Not UTF-8; latin-1 maps every byte, so nothing is lost before ``repair_text``.
ENCODING = "latin-1"

#: HS targets that are identities under our definition (SARA, physical/disability, gender) -> subtype.
#: ``HS_Other`` is invective/slander at individuals or camps, which is not hate speech for this project.
IDENTITY_TARGETS = {"HS_Religion": "religion", "HS_Race": "race", "HS_Physical": "physical", "HS_Gender": "gender"}
#: Subtype of HS=1 rows without an identity target, when ``hs_mapping="all"`` keeps them.
OTHER_TARGET = "other"
#: HS=0 & Abusive=1: profanity without an identity target is benign under our definition; keep the hint as subtype.
ABUSIVE_SUBTYPE = "abusive"

HsMapping = Literal["identity", "all"]

_USER_TOKEN = re.compile(r"\bUSER\b")
_URL_TOKEN = re.compile(r"\bURL\b")


def _clean(raw: str) -> str:
    """Repair, drop the stray closing quote, and map the authors' placeholders to the shared ``@USER``/``HTTPURL``."""
    text = repair_text(raw).rstrip()
    text = text.removesuffix("'")
    text = _URL_TOKEN.sub("HTTPURL", _USER_TOKEN.sub("@USER", text))
    return normalize_whitespace(mask_identifiers(text))


def _labels(df: pd.DataFrame, hs_mapping: HsMapping) -> tuple[list[str], list[str | None]]:
    """Label and subtype per row; several identity targets give a ``+``-joined subtype (``religion+race``)."""
    labels, subtypes = [], []
    for row in df.itertuples(index=False):
        targets = [name for column, name in IDENTITY_TARGETS.items() if getattr(row, column) == 1]
        if row.HS == 1 and targets:
            labels.append("hate_speech")
            subtypes.append("+".join(targets))
        elif row.HS == 1:
            labels.append("hate_speech" if hs_mapping == "all" else DROP)
            subtypes.append(OTHER_TARGET if hs_mapping == "all" else None)
        else:
            labels.append("benign")
            subtypes.append(ABUSIVE_SUBTYPE if row.Abusive == 1 else None)
    return labels, subtypes


def load(data_dir: Path, hs_mapping: HsMapping = "identity") -> pd.DataFrame:
    """Load the tweets; ``hs_mapping="identity"`` drops HS tweets without an identity target, ``"all"`` keeps them."""
    if hs_mapping not in ("identity", "all"):
        raise ValueError(f"hs_mapping must be 'identity' or 'all', not {hs_mapping!r}")
    df = pd.read_csv(Path(data_dir) / FILE, encoding=ENCODING, dtype={"Tweet": str}, keep_default_na=False)
    labels, subtypes = _labels(df, hs_mapping)
    return build_frame(SOURCE, df["Tweet"], df["Tweet"].map(_clean), labels, subtypes)
