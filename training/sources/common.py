"""Helpers shared by the source loaders: the loader contract, stable row keys and text repair."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

import ftfy
import pandas as pd

from pilkada_nlp.labels import LABELS

#: Columns every loader returns, in this order.
COLUMNS = ["text", "label", "source", "row_key", "subtype"]

#: Mapping result meaning "leave this row out" (distinct from ``None``, which means "unlabelled").
DROP = "drop"


def row_key(raw_text: str) -> str:
    """Stable key of one row: sha1 of the text exactly as read from the source file.

    Stand-off annotations in ``data/annotations/`` refer to pool rows by this key, so it must be computed on the
    raw text (before any repair or masking) and must never change.
    """
    return hashlib.sha1(raw_text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def frame(texts, labels, source: str, raw_texts=None, subtypes=None) -> pd.DataFrame:
    """Build a loader's output frame with the standard columns.

    ``raw_texts`` (default: ``texts``) are what the row keys are computed from.
    """
    texts = list(texts)
    raw = list(raw_texts) if raw_texts is not None else texts
    return pd.DataFrame(
        {
            "text": texts,
            "label": list(labels),
            "source": source,
            "row_key": [row_key(t) for t in raw],
            "subtype": list(subtypes) if subtypes is not None else [None] * len(texts),
        },
        columns=COLUMNS,
    )


def build_frame(source: str, raw_texts, texts, labels, subtypes=None) -> pd.DataFrame:
    """``frame()`` for the rows that survive: label not ``DROP`` and text not empty.

    Row keys are computed before filtering, on ``raw_texts``, so dropping rows never changes the keys of the others.
    Missing labels and subtypes are ``None`` in object columns (pandas would otherwise infer a string dtype with NaN).
    """
    df = frame(texts, labels, source, raw_texts=raw_texts, subtypes=subtypes)
    for column in ("label", "subtype"):
        df[column] = df[column].astype(object).where(df[column].notna(), None)
    unknown = set(df["label"].dropna()) - set(LABELS) - {DROP}  # None = unlabelled pool row
    if unknown:
        raise ValueError(f"{source}: labels outside the schema: {sorted(unknown)}")
    keep = (df["label"] != DROP) & (df["text"].str.strip() != "")
    return df[keep].reset_index(drop=True)


def map_values(values: pd.Series, mapping: Mapping, source: str) -> pd.Series:
    """Map original labels with an explicit table; fail loudly on a value the table doesn't know.

    A silent NaN here would turn an upstream label change into wrongly unlabelled rows.
    """
    unknown = set(values.dropna().unique()) - set(mapping)
    if unknown or values.isna().any():
        raise ValueError(f"{source}: unmapped original labels: {sorted(map(str, unknown)) or ['<missing>']}")
    return values.map(mapping)


# --- text repair -------------------------------------------------------------------------------------------------

#: Python byte-string escapes dumped as text (Ibrohim: ``\xf0\x9f\x98\x82`` for an emoji).
_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
#: An escape cut off by tweet truncation (``...\xf``, a final lone backslash); it can't be decoded.
_BROKEN_ESCAPE = re.compile(r"\\x[0-9a-fA-F]?(?![0-9a-fA-F])|\\$")
#: JSON escapes left in raw tweets (Alfina, Netifier: ``\ud83d\ude06``, ``\u2026``).
_UNICODE_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
#: Other escapes left as text: ``\n``, ``\t``, ``https:\/\/``, ``\'``.
_CHAR_ESCAPES = re.compile(r"\\([nrt/'\"])")
_CHAR_ESCAPE_VALUES = {"n": "\n", "r": "\n", "t": " ", "/": "/", "'": "'", '"': '"'}
#: UTF-8 read as latin-1 where the C1 bytes were replaced by ``?`` upstream (Ibrohim: ``ð???``, ``â??``, Arabic
#: ``Ù?``): a UTF-8 lead byte followed by its continuation bytes, some of them ``?``. The character is lost for good.
_LOSSY_MOJIBAKE = re.compile(r"[\xc2-\xdf][?\x80-\xbf]|[\xe0-\xef][?\x80-\xbf]{2}|[\xf0-\xf4][?\x80-\xbf]{3}")
#: Mojibake fragments that ftfy leaves behind when text went through cp1252 more than once (black_campaign): runs of
#: mojibake-prone characters containing at least one character that real Indonesian text never puts there.
_MOJIBAKE_CHAR = "[ÃÂâðïŸ€‚ƒ„†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œž¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿\x80-\x9f\ue000-\uf8ff]"
_MOJIBAKE_ANCHOR = "[ÃÂðï\x80-\x9f\ue000-\uf8ff]"
_RESIDUAL_MOJIBAKE = re.compile(
    f"{_MOJIBAKE_CHAR}*(?:{_MOJIBAKE_CHAR}{_MOJIBAKE_ANCHOR}|{_MOJIBAKE_ANCHOR}{_MOJIBAKE_CHAR}){_MOJIBAKE_CHAR}*"
    r"|Â(?=\s|$)"
)
_HTML_ENTITIES = re.compile(r"&(amp|lt|gt|quot|apos|#39|nbsp)(?:;|(?=\W|$))")
_HTML_ENTITY_VALUES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "#39": "'", "nbsp": " "}
#: Invisible/format characters, blank fillers (Hangul, Braille), replacement, private-use and control characters.
#: ZWJ U+200D is kept: it is part of emoji sequences.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u115f\u1160\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2800\u3164\ufeff\uffa0\ufffd\ue000-\uf8ff]"
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _decode_byte_escapes(match: re.Match) -> str:
    """Bytes spelled as ``\\xNN`` back to text; invalid or truncated UTF-8 sequences are dropped."""
    data = bytes.fromhex(match.group().replace("\\x", ""))
    return data.decode("utf-8", errors="ignore")


def _decode_unicode_escapes(match: re.Match) -> str:
    r"""``\uXXXX`` runs back to text, joining surrogate pairs; lone surrogates are dropped."""
    units = bytes.fromhex("".join(match.group()[i + 2 : i + 6] for i in range(0, len(match.group()), 6)))
    return units.decode("utf-16-be", errors="ignore")


def fix_mojibake_runs(text: str, codec: str) -> str:
    """Undo UTF-8 that was decoded as ``codec`` (e.g. ``mac_roman`` in the desrul xlsx: ``ÔøΩ``, ``‚Äô`` -> ’).

    Works on runs of non-ASCII characters; a run that isn't valid UTF-8 once re-encoded is genuine text and stays.
    ftfy doesn't know Mac Roman mojibake, hence this helper.
    """

    def fix(match: re.Match) -> str:
        try:
            return match.group().encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group()

    return _NON_ASCII_RUN.sub(fix, text)


def repair_text(text: str, mojibake_codec: str | None = None) -> str:
    """Repair encoding damage without changing words; line breaks are kept (see ``normalize_whitespace``).

    Order matters: escapes first (they hide real characters), then mojibake (``mojibake_codec`` for encodings
    ftfy doesn't cover, lossy sequences removed so that ftfy can fix the intact ones around them, then ftfy), then
    whatever can't be recovered is removed rather than left as noise that identifies the source.
    """
    text = _BYTE_ESCAPES.sub(_decode_byte_escapes, text)
    text = _BROKEN_ESCAPE.sub("", text)
    text = _UNICODE_ESCAPES.sub(_decode_unicode_escapes, text)
    text = _CHAR_ESCAPES.sub(lambda m: _CHAR_ESCAPE_VALUES[m.group(1)], text)
    if mojibake_codec:
        text = fix_mojibake_runs(text, mojibake_codec)
    text = _LOSSY_MOJIBAKE.sub(lambda m: "" if "?" in m.group() else m.group(), text)
    text = ftfy.fix_text(text)
    text = _RESIDUAL_MOJIBAKE.sub("", text)
    text = _HTML_ENTITIES.sub(lambda m: _HTML_ENTITY_VALUES[m.group(1)], text)
    return _INVISIBLE.sub("", text)


# --- masking and normalisation -----------------------------------------------------------------------------------

#: ``\S*``: a bare ``https://`` (URL cut off by truncation) is masked too.
_URL = re.compile(r"(?:https?://|www\.)\S*|\bpic\.twitter\.com/\S+", re.IGNORECASE)
#: A handle starts a word, or follows a glued retweet marker (``RT@name:``); ``name@mail.com`` is not a handle.
_HANDLE = re.compile(r"(?:(?<![\w@])|(?<=\bRT))@\w+")
_MASK_TOKENS = re.compile(r"HTTPURL|@USER")


def mask_identifiers(text: str) -> str:
    """Replace URLs with ``HTTPURL`` and @handles with ``@USER`` (IndoNLU convention).

    Usernames are personal data, and URLs leak labels (turnbackhoax.id/salah-...) and sources (t.co vs detik.com).
    """
    return _HANDLE.sub("@USER", _URL.sub("HTTPURL", text))


def content_length(text: str) -> int:
    """Length of a text without its ``HTTPURL``/``@USER`` tokens: a claim that is only a link is no claim."""
    return len(_MASK_TOKENS.sub("", text).strip())


def normalize_whitespace(text: str) -> str:
    """Collapse all whitespace to single spaces: line-break habits differ per source and would identify it."""
    return " ".join(text.split())


def clean_text(raw: str, mojibake_codec: str | None = None) -> str:
    """The default pipeline for a post: repair, mask identifiers, collapse whitespace."""
    return normalize_whitespace(mask_identifiers(repair_text(raw, mojibake_codec)))


# --- hoax-source leak removal ------------------------------------------------------------------------------------

_VERDICTS = (
    r"hoaks|hoax|salah|keliru|disinformasi|misinformasi|fakta|cek\s*fakta|klarifikasi|menyesatkan|penipuan|fitnah"
    r"|benar|tidak\s+benar"
)
_BRACKET_VERDICT = re.compile(rf"[\[(]\s*(?:{_VERDICTS})\s*[\])]\s*:?", re.IGNORECASE)
_VERDICT_LINE = re.compile(rf"^[^\w\n]*(?:{_VERDICTS})[^\w\n]*$", re.IGNORECASE | re.MULTILINE)
#: Upper-case only ("Salah satu ..." is ordinary Indonesian); a bare leading ``:`` is what an upstream tag removal left.
_VERDICT_PREFIX = re.compile(
    r"^\s*(?:(?:HOAKS|HOAX|SALAH|KELIRU|DISINFORMASI|MISINFORMASI|FAKTA|KLARIFIKASI|FITNAH|HASUT)\s*[:|\-–—]|[:|])\s*"
)
_QUOTES = "\"'“”‘’«»"


def strip_verdict_tags(text: str) -> str:
    """Remove fact-checker verdict tags: ``[HOAKS]``, ``(SALAH)``, a line that is only ``FAKTA:``, a ``HOAX:`` prefix.

    Call before ``normalize_whitespace`` (the verdict-line rule needs the line breaks).
    """
    text = _BRACKET_VERDICT.sub(" ", text)
    text = _VERDICT_LINE.sub("", text)
    return _VERDICT_PREFIX.sub("", text)


def strip_wrapping_quotes(text: str) -> str:
    """Remove quote marks around a whole claim; fact-checkers quote claims, so the quotes correlate with ``hoax``.

    Only a matching outer pair is removed, and only if no other quote mark is inside (so ``"A" kata "B"`` stays).
    """
    text = text.strip()
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES and not any(q in text[1:-1] for q in _QUOTES):
        text = text[1:-1].strip()
    return text


def join_fields(parts: Iterable[str], sep: str = "\n") -> str:
    """Join text fields, skipping empty ones (NaN cells arrive as empty strings)."""
    return sep.join(p for p in parts if p)
