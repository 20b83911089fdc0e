"""Loader for ``mafindo_hoax_1k``: 1,000 Mafindo/TurnBackHoax fact-check records, all verdict ``Salah``.

Only ``content`` is used: ``status``, ``fact``, ``conclusion`` and ``references`` are the verdict and its evidence,
and ``title`` is the checker's headline. ``content`` is often the checker describing the post ("Akun X mengunggah
video [arsip] dengan narasi: ..."): the narrative after the last narrative marker is kept, trailing engagement
notes are cut, and rows that are still third-person description afterwards are dropped (``keep_descriptions``),
because training ``hoax`` on fact-checker prose would teach the model that reporting on a hoax is a hoax.
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

SOURCE = "mafindo_hoax_1k"
FILE = Path(SOURCE) / "hoax_1k.csv"
LABEL = "hoax"

#: Shorter leftovers are phone numbers or captions that can't be judged from text.
MIN_CLAIM_CHARS = 20

#: "... dengan narasi:", "[NARASI]", "berikut narasinya", "bertuliskan", "keterangan:" -> the post follows.
NARRATIVE_MARKER = re.compile(
    r"\[\s*narasi\s*\]\s*:?|\bnarasi(?:nya)?\s+(?:sebagai\s+)?berikut\s*:?|\bberikut\s+(?:ini\s+)?narasi(?:nya)?\s*:?"
    r"|\bnarasi(?:nya)?(?:\s+lengkap(?:nya)?)?\s*:|\b(?:dengan|disertai|memberikan|menambahkan|menuliskan|berisi)\s+"
    r"(?:sebuah\s+)?(?:narasi|keterangan|tulisan|takarir)(?:\s+(?:sebagai\s+)?berikut)?\s*:"
    r"|\b(?:keterangan|takarir|tulisan|judul)\s*:|\bbertuliskan\s*:?|\bberjudul\s*:?",
    re.IGNORECASE,
)
#: "Per Selasa (14/1/2025), unggahan tersebut telah ..." and similar engagement notes after the narrative.
ENGAGEMENT_NOTE = re.compile(
    r"\s(?:(?:Per|Hingga|Sampai|Pada)\s+(?:\w+,?\s+)?\(?\d{1,2}/\d{1,2}/\d{2,4}\)?"
    r"|(?:Unggahan|Postingan|Video|Cuitan|Konten|Pesan|Foto)\s+(?:tersebut|itu|ini)\s+"
    r"(?:telah|sudah|mendapat|menuai|ditonton|dibagikan|disukai|dilihat))",
    re.IGNORECASE,
)
#: Archive notes the checkers insert into the quoted post.
ARCHIVE_NOTE = re.compile(r"[\[(]\s*arsip\s*[\])]", re.IGNORECASE)
#: Third-person reporting vocabulary: still present after extraction means the row is a description, not a post.
DESCRIPTION = re.compile(
    r"\b(?:mengunggah|diunggah|mengeklaim|mengklaim|diklaim|dinarasikan|beredar|membagikan|menyebarkan|dibagikan"
    r"|unggahan|postingan|akun\s+(?:facebook|twitter|tiktok|instagram|x|youtube)|kanal\s+youtube)\b",
    re.IGNORECASE,
)


def extract_claim(raw: str) -> str:
    """The circulated post inside ``content``: after the last narrative marker, before engagement notes."""
    text = ARCHIVE_NOTE.sub(" ", repair_text(raw))
    markers = list(NARRATIVE_MARKER.finditer(text))
    if markers:
        text = text[markers[-1].end() :]
    note = ENGAGEMENT_NOTE.search(text)
    if note:
        text = text[: note.start()]
    text = normalize_whitespace(mask_identifiers(strip_verdict_tags(text)))
    return strip_wrapping_quotes(text.strip(" :"))


def _keep(claim: str, keep_descriptions: bool) -> bool:
    """Long enough to judge, and (unless ``keep_descriptions``) a post rather than a description of one."""
    return content_length(claim) >= MIN_CLAIM_CHARS and (keep_descriptions or not DESCRIPTION.search(claim))


#: "Hasil periksa fakta <checker>." opens every conclusion: a byline, not part of the debunk.
CHECKER_BYLINE = re.compile(r"^\s*hasil\s+periksa\s+fakta\b[^.\n]*[.\n]", re.IGNORECASE)


def extract_debunk(raw: str) -> str:
    """The checker's conclusion without its byline: a debunk that restates the claim, so ``benign`` (fact_check)."""
    return normalize_whitespace(mask_identifiers(strip_verdict_tags(CHECKER_BYLINE.sub("", repair_text(raw)))))


def load(data_dir: Path, keep_descriptions: bool = False) -> pd.DataFrame:
    """Load the claims (``hoax``; row key ``content`` as read) and the checkers' conclusions (``benign``).

    The conclusions are within-source negatives: the same archive, topic and claim, written as a debunk. Without
    them every row of this source is a hoax, and the source's style stands in for the label. Each one restates its
    claim, so the corpus builder's near-duplicate grouping keeps a claim and its debunk in the same split.
    ``keep_descriptions=True`` also keeps rows that are a checker's description of the post (about 200 of 1,000).
    """
    df = pd.read_csv(Path(data_dir) / FILE, dtype={"content": str, "conclusion": str}, keep_default_na=False)
    claims = df["content"].map(extract_claim)
    claims = claims.where(claims.map(lambda claim: _keep(claim, keep_descriptions)), "")
    debunks = df["conclusion"].map(extract_debunk)
    debunks = debunks.where(debunks.map(content_length) >= MIN_CLAIM_CHARS, "")
    return pd.concat([
        build_frame(SOURCE, df["content"], claims, [LABEL] * len(df)),
        build_frame(SOURCE, df["conclusion"], debunks, ["benign"] * len(df), ["fact_check"] * len(df)),
    ], ignore_index=True)
