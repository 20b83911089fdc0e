"""Loader for ``bdc2020_satriadata_hoax``: circulated claims 2015-2020 labelled hoax / not hoax (Satria Data BDC 2020).

Only the claim is used (``judul`` + ``narasi``); ``ID``, ``tanggal`` and the image file name are not text and are
never returned. 168 titles start with a bare ``:``, the remnant of a stripped verdict prefix; it is label-correlated
(36 % non-hoax vs 18 % overall) and ``strip_verdict_tags`` removes it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .common import (
    build_frame,
    join_fields,
    map_values,
    mask_identifiers,
    normalize_whitespace,
    repair_text,
    strip_verdict_tags,
)

SOURCE = "bdc2020_satriadata_hoax"
FILE = Path(SOURCE) / "Data_latih.csv"

#: 1 = hoax; 0 = not hoax: many are clarifications/debunks of a claim, which our schema calls benign.
LABEL_MAP = {1: "hoax", 0: "benign"}


def _claim(title: str, body: str) -> str:
    """Title then body, without the title when the body already starts with it (common in this file)."""
    title = strip_verdict_tags(repair_text(title))
    body = strip_verdict_tags(repair_text(body))
    if normalize_whitespace(body).lower().startswith(normalize_whitespace(title).lower()):
        title = ""
    return normalize_whitespace(mask_identifiers(join_fields([title, body])))


def load(data_dir: Path) -> pd.DataFrame:
    """Load the training split; the row key is computed on ``judul + "\\n" + narasi`` as read."""
    df = pd.read_csv(Path(data_dir) / FILE, dtype={"judul": str, "narasi": str}, keep_default_na=False)
    labels = map_values(df["label"], LABEL_MAP, SOURCE)
    raw = [join_fields([title, body]) for title, body in zip(df["judul"], df["narasi"])]
    texts = [_claim(title, body) for title, body in zip(df["judul"], df["narasi"])]
    return build_frame(SOURCE, raw, texts, labels)
