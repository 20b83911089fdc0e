"""Loader for ``pilpres2024_hoax_headlines``: 2024 presidential-election TurnBackHoax titles vs news headlines.

``Berita_Hoax`` is True for every turnbackhoax.id post, but the site also publishes true verdicts, clarifications
and news: 129 "hoax" rows have a ``/benar-`` URL and about 60 more ``/klarifikasi-``, ``/berita-``, ``/edukasi-``...
The verdict in the URL slug therefore decides the label (``link_verdicts``); the ``Link`` itself is never returned,
since its domain and slug give the label away.

The hoax titles are claims quoted by the checker: 545 of 548 titles starting with a quote mark are hoaxes, so
wrapping quotes are removed. A style confound remains (claim titles vs newsroom headlines; e.g. all 131 titles
starting "Video ..." are hoaxes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .common import (
    DROP,
    build_frame,
    map_values,
    mask_identifiers,
    normalize_whitespace,
    repair_text,
    strip_verdict_tags,
    strip_wrapping_quotes,
)

SOURCE = "pilpres2024_hoax_headlines"
FILE = Path(SOURCE) / "data" / "data_berita.csv"

#: True = a turnbackhoax.id post; False = a real Detik/Metro/CNN headline (benign, subtype ``headline``).
LABEL_MAP = {True: "hoax", False: "benign"}
SUBTYPE_MAP = {True: None, False: "headline"}
#: First word of a turnbackhoax.id slug -> (label, subtype). False verdicts are hoaxes; true verdicts, clarifications,
#: news and education posts are the fact-checker's own benign content. Any other slug (numeric ids, ``cekfakta-``,
#: a name) says nothing about the verdict: the row is dropped.
HOAX_SLUGS = ["salah", "disinformasi", "misinformasi", "hoax", "hoaks", "fitnah", "hasut", "false"]
BENIGN_SLUGS = ["benar", "klarifikasi", "berita", "edukasi", "acara", "live"]
SLUG_VERDICTS = {**dict.fromkeys(HOAX_SLUGS, ("hoax", None)), **dict.fromkeys(BENIGN_SLUGS, ("benign", "fact_check"))}
_SLUG = re.compile(r"turnbackhoax\.id/\d{4}/\d{2}/\d{2}/([a-z]+)")


def _slug_verdict(link: str) -> tuple[str, str | None]:
    """Label from the slug's first word, matched by prefix (``salahanies-...``, ``fitnahhasut-...`` occur)."""
    match = _SLUG.search(link)
    word = match.group(1) if match else ""
    for verdict, label in SLUG_VERDICTS.items():
        if word.startswith(verdict):
            return label
    return DROP, None


def _clean(raw: str) -> str:
    return strip_wrapping_quotes(normalize_whitespace(mask_identifiers(strip_verdict_tags(repair_text(raw)))))


def load(data_dir: Path, link_verdicts: bool = True) -> pd.DataFrame:
    """Load the headlines; ``link_verdicts=False`` takes ``Berita_Hoax`` at face value instead."""
    df = pd.read_csv(Path(data_dir) / FILE, usecols=["Judul Artikel", "Link", "Berita_Hoax"], keep_default_na=False)
    titles = df["Judul Artikel"].astype(str)
    labels = map_values(df["Berita_Hoax"], LABEL_MAP, SOURCE)
    subtypes = map_values(df["Berita_Hoax"], SUBTYPE_MAP, SOURCE)
    if link_verdicts:
        fact_checked = df["Berita_Hoax"].astype(bool)
        verdicts = df.loc[fact_checked, "Link"].map(_slug_verdict)
        labels[fact_checked] = verdicts.str[0]
        subtypes[fact_checked] = verdicts.str[1]
    return build_frame(SOURCE, titles, titles.map(_clean), labels, subtypes)
