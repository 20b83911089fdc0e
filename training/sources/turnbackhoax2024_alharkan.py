"""Loader for ``turnbackhoax2024_alharkan``: 2024 TurnBackHoax (Mafindo) hoax narratives, LLM-categorised by topic.

``HOAX_TEXT`` was regex-extracted upstream and, where that failed, still carries the fact-check: the text is cut at
the first debunk/reference marker, and rows whose remaining claim is too short (image captions, "(Tidak
ditampilkan)" placeholders, debunk-only rows) are dropped. Titles and dates are checker metadata, not posts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .common import (
    build_frame,
    content_length,
    mask_identifiers,
    normalize_whitespace,
    repair_text,
    strip_verdict_tags,
    strip_wrapping_quotes,
)

SOURCE = "turnbackhoax2024_alharkan"
#: The three files partition the 3,746 hoaxes by ``LLM_CATEGORY`` (politics / scam / others) -> subtype.
FILES = [
    Path(SOURCE) / "topic_modeling" / "politics_hoax_text.csv",
    Path(SOURCE) / "topic_modeling" / "scam_category" / "scam_hoax_text.csv",
    Path(SOURCE) / "topic_modeling" / "others_category" / "others_hoax_text.csv",
]
LABEL = "hoax"

#: Where the fact-checker's text starts: section separators, headings, checker names, source/archive lines.
DEBUNK_MARKERS = re.compile(
    r"=\s*=\s*=|[—–_=-]{5,}|\bPENJELASAN\b|\bpenjelasan\s*:|turnbackhoax|cek\s*fakta|pemeriksa\s+fakta|mafindo"
    r"|\bsumber\s*(?:arsip\s*)?:|\barsip\s*:|\breferensi\b|\bkesimpulan\b|\bfaktanya\b|\bsetelah\s+ditelusuri",
    re.IGNORECASE,
)
#: Placeholders the checkers write when they don't reproduce the post.
PLACEHOLDER = re.compile(
    r"[(~\[]?\s*(?:narasi\s+)?tidak\s*(?:di\s*)?(?:tampilkan|ditampilkan|tersedia)\s*[)~\]]?", re.IGNORECASE
)
#: Shorter claims are mostly image captions (a name, "FOTO LANGKA") that can't be judged from text alone.
MIN_CLAIM_CHARS = 20


def extract_claim(raw: str) -> str:
    """The hoax claim: repaired, cut before the debunk, without placeholders, wrapping quotes or URLs."""
    text = repair_text(raw)
    marker = DEBUNK_MARKERS.search(text)
    if marker:
        text = text[: marker.start()]
    text = PLACEHOLDER.sub(" ", strip_verdict_tags(text))
    return strip_wrapping_quotes(normalize_whitespace(mask_identifiers(text)))


#: A debunk left in ``HOAX_TEXT`` is kept as a ``benign`` fact-check only if it has this much text of its own.
MIN_DEBUNK_CHARS = 80
#: Key prefix of debunk rows: they come from the same raw field as the claim, so the key must differ.
DEBUNK_KEY_PREFIX = "debunk:"


def extract_debunk(raw: str) -> str:
    """The fact-checker's text after the first debunk marker ("" when there is none): a ``benign`` fact-check."""
    text = repair_text(raw)
    marker = DEBUNK_MARKERS.search(text)
    if not marker:
        return ""
    debunk = PLACEHOLDER.sub(" ", strip_verdict_tags(text[marker.end() :]))
    return normalize_whitespace(mask_identifiers(debunk)).strip(" :=-")


def load(data_dir: Path) -> pd.DataFrame:
    """Load the three topic files: claims (``hoax``, row key ``HOAX_TEXT`` as read) and the debunks left in them.

    The debunks are within-source negatives (see ``mafindo_hoax_1k``): same archive and topic, written as a debunk.
    """
    frames = [pd.read_csv(Path(data_dir) / f, dtype=str, keep_default_na=False) for f in FILES]
    df = pd.concat(frames, ignore_index=True)
    claims = df["HOAX_TEXT"].map(extract_claim)
    claims = claims.where(claims.map(content_length) >= MIN_CLAIM_CHARS, "")  # empty text: dropped
    subtypes = df["LLM_CATEGORY"].str.strip().replace("", None)
    debunks = df["HOAX_TEXT"].map(extract_debunk)
    debunks = debunks.where(debunks.map(content_length) >= MIN_DEBUNK_CHARS, "")
    return pd.concat([
        build_frame(SOURCE, df["HOAX_TEXT"], claims, [LABEL] * len(df), subtypes),
        build_frame(SOURCE, DEBUNK_KEY_PREFIX + df["HOAX_TEXT"], debunks, ["benign"] * len(df),
                    ["fact_check"] * len(df)),
    ], ignore_index=True)
