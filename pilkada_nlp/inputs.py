"""Validation of user input, done once at the public entry points.

A post must be a ``str``. Anything else (``None``, NaN, numbers, bytes) is a ``TypeError`` that names the index, so a
caller never gets a crash deep inside a backend or a silently shifted list. Strings that can be classified but need
care get a defined result plus a warning instead of an error:

* empty or whitespace-only: ``benign``, no flags, NaN scores, warning ``"empty text"`` (nothing to score);
* longer than :data:`MAX_CHARS`: the head and tail are kept, warning ``"text truncated ..."``;
* lone surrogates or other unencodable code points: replaced by spaces, warning ``"invalid characters replaced"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

#: Longest text classified as is. Social-media posts are far shorter; longer inputs are usually pasted articles.
MAX_CHARS = 20_000

EMPTY_WARNING = "empty text"
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def as_text_list(texts: object) -> tuple[list[object], bool]:
    """Return ``(items, single)``: the items to classify and whether the caller passed one string.

    Accepts a ``str``, or a list, tuple, pandas Series, 1-D numpy array or other ordered iterable of items. Refused,
    because iterating them gives something other than the posts in a fixed order: bytes, mappings (their keys), sets
    (an order that changes with the hash seed) and 2-D tables such as a DataFrame (its column names).
    """
    if isinstance(texts, str):
        return [texts], True
    refused = isinstance(texts, (bytes, bytearray, Mapping, set, frozenset))
    if texts is None or refused or not isinstance(texts, Iterable):
        raise TypeError(f"texts must be a str or a list/tuple/Series of str, got {type(texts).__name__}{_hint(texts)}")
    if getattr(texts, "ndim", 1) != 1:
        raise TypeError(
            f"texts must be one-dimensional, got a {texts.ndim}-D {type(texts).__name__}"
            + (": pass the text column, e.g. df['text']" if hasattr(texts, "columns") else "")
        )
    return list(texts), False


def _hint(texts: object) -> str:
    """How to fix the common wrong containers."""
    if isinstance(texts, (bytes, bytearray)):
        return " (decode bytes first, e.g. data.decode('utf-8'))"
    if isinstance(texts, (set, frozenset)):
        return " (a set has no fixed order; pass sorted(texts) or a list)"
    return ""


def check_text(value: object, index: int) -> tuple[str, str | None]:
    """Return ``(text, warning)`` for one item, or raise ``TypeError`` naming ``index`` when it is not a string."""
    if not isinstance(value, str):
        hint = " (decode bytes first)" if isinstance(value, (bytes, bytearray)) else ""
        shown = "NaN" if isinstance(value, float) and math.isnan(value) else repr(value)[:40]
        raise TypeError(f"texts[{index}] must be a str, got {type(value).__name__} {shown}{hint}")
    warnings = []
    if not value.isascii() and _SURROGATES.search(value):
        value = _SURROGATES.sub(" ", value)
        warnings.append("invalid characters replaced")
    if len(value) > MAX_CHARS:
        half = MAX_CHARS // 2
        value = value[:half] + " " + value[-half:]
        warnings.append(f"text truncated to its first and last {half} characters")
    if not value.strip():
        warnings.append(EMPTY_WARNING)
    return value, "; ".join(warnings) or None


def original_offset(position: int, checked_length: int, original_length: int) -> int:
    """Where ``position`` in the text :func:`check_text` returned lies in the text it was given.

    Only truncation moves characters (the tail moves left by the length cut out); replaced surrogates keep their
    place, so an offset into a classified text can be used on the caller's own string, e.g. to highlight it.
    """
    cut = original_length - checked_length
    if cut <= 0 or position <= MAX_CHARS // 2:
        return position
    return position + cut
