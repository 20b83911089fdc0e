"""Where the words of an explanation occur in the post as it was written, for highlighting on the review page.

Explanations name n-grams of the *normalised* text (lower case, slang spelled out), so they don't always occur in the
original. This module does the simple thing: find each n-gram's words in the original, case-insensitively, as whole
words with any run of spaces between them, and leave out the ones not found. It is deliberately self-contained
(``spans(text, explanation)`` in, ``(start, end, weight)`` out) so that an exact mapping from normalised n-grams back
to spans of the original can replace it without touching the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Span = tuple[int, int, float]


def spans(text: str, explanation: Iterable[tuple[str, float]]) -> list[Span]:
    """Non-overlapping ``(start, end, weight)`` spans of ``text`` for the explanation's n-grams, in text order.

    Where two n-grams overlap, the one with the larger weight keeps its span.
    """
    found: list[Span] = []
    for ngram, weight in sorted(explanation, key=lambda pair: -pair[1]):
        words = ngram.split()
        if not words:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
        for match in pattern.finditer(text):
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in found):
                found.append((start, end, weight))
    return sorted(found)


def segments(text: str, explanation: Iterable[tuple[str, float]]) -> list[tuple[str, float | None]]:
    """``text`` cut into ``(piece, weight)`` pieces: ``weight`` is ``None`` for plain text, else the n-gram's weight.

    Joining the pieces gives ``text`` back; a template marks the weighted ones.
    """
    out: list[tuple[str, float | None]] = []
    position = 0
    for start, end, weight in spans(text, explanation):
        if start > position:
            out.append((text[position:start], None))
        out.append((text[start:end], weight))
        position = end
    if position < len(text):
        out.append((text[position:], None))
    return out
