"""Explanations in the words of the post: backends explain *normalised* tokens ("tertawa" for "wkwk", "nominaluang"
for "50rb", "tokohpolitik" for a candidate's name); this module maps them back to character spans of the original
text, and drops what a reader should not be shown as evidence (punctuation, function words, forms of address).

Alignment (:func:`align`) walks the original text and :func:`pilkada_nlp.text.normalize`'s tokens side by side. It
normalises each whitespace-separated piece of the original, joining up to :data:`MAX_WINDOW` pieces when a name or an
amount spans several ("Ridwan Kamil", "Rp 100.000"), and takes the shortest window whose tokens are the next ones and
whose end does not change how the following piece normalises. A piece that gives several tokens ("KPU," → ``kpu``,
``,``) is aligned the same way over its word and punctuation parts, so each token gets the smallest span it came
from. Normalisation is only ever called, never reimplemented, so the mapping follows it when it changes; a token that
cannot be aligned keeps no span, and its explanation is shown in normalised form without a highlight.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pilkada_nlp.text import normalize

#: The most whitespace-separated pieces one normalised token can come from (political names have up to three words).
MAX_WINDOW = 4
_PIECE = re.compile(r"\S+")
_PART = re.compile(r"\w+|[^\w\s]")
#: Unicode categories never shown as evidence: punctuation and maths/currency/modifier symbols (emoji, ``So``, stay).
_PUNCTUATION_CATEGORIES = ("P", "Sm", "Sc", "Sk")


@dataclass(frozen=True)
class Token:
    """One normalised token and the span ``text[start:end]`` of the original it came from (``None`` if unaligned)."""

    text: str
    start: int | None
    end: int | None


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Normalised words that are never shown as evidence (``resources/display_stopwords.json``)."""
    with resources.files("pilkada_nlp.resources").joinpath("display_stopwords.json").open(encoding="utf-8") as handle:
        return frozenset(json.load(handle)["words"])


def is_punctuation(token: str) -> bool:
    """Whether ``token`` is made of punctuation or non-emoji symbols only."""
    return all(unicodedata.category(char).startswith(_PUNCTUATION_CATEGORIES) for char in token)


def shown(token: str) -> bool:
    """Whether a normalised token may be shown to a reader as evidence."""
    return token not in stopwords() and not is_punctuation(token)


def _tokens(text: str) -> list[str]:
    return normalize(text).split()


def _window(text: str, spans: list[tuple[int, int]], i: int, target: list[str], j: int,
            max_window: int) -> tuple[int, int] | None:
    """``(pieces, tokens)``: the shortest window of ``spans`` from ``i`` that gives exactly ``target[j:j+tokens]``
    without absorbing the piece after it; ``None`` when no window up to ``max_window`` pieces does."""
    for width in range(1, min(max_window, len(spans) - i) + 1):
        start, end = spans[i][0], spans[i + width - 1][1]
        tokens = _tokens(text[start:end])
        if tokens != target[j : j + len(tokens)]:
            continue
        if i + width == len(spans):
            return width, len(tokens)
        following = spans[i + width]
        if _tokens(text[start : following[1]]) == tokens + _tokens(text[following[0] : following[1]]):
            return width, len(tokens)
    return None


def _align_spans(text: str, spans: list[tuple[int, int]], target: list[str], max_window: int,
                 refine: bool = True) -> list[Token] | None:
    """Tokens of ``target`` with spans over the pieces ``spans`` of ``text``, or ``None`` if they don't line up.

    With ``refine``, a piece that gives several tokens is aligned again over its parts (one level deep)."""
    out: list[Token] = []
    i = j = 0
    while i < len(spans):
        step = _window(text, spans, i, target, j, max_window)
        if step is None:
            return None
        width, count = step
        start, end = spans[i][0], spans[i + width - 1][1]
        if refine and width == 1 and count > 1:  # one piece, several tokens: align its word and punctuation parts
            parts = [(start + m.start(), start + m.end()) for m in _PART.finditer(text[start:end])]
            inner = _align_spans(text, parts, target[j : j + count], len(parts), refine=False)
            out.extend(inner or (Token(token, start, end) for token in target[j : j + count]))
        else:
            out.extend(Token(token, start, end) for token in target[j : j + count])
        i, j = i + width, j + count
    return out if j == len(target) else None


def align(text: str) -> list[Token]:
    """``normalize(text).split()`` as :class:`Token` objects carrying the span of ``text`` each one came from.

    Never raises on a ``str``; when the two can't be lined up, the tokens come back without spans.
    """
    target = _tokens(text)
    spans = [(m.start(), m.end()) for m in _PIECE.finditer(text)]
    return _align_spans(text, spans, target, MAX_WINDOW) or [Token(token, None, None) for token in target]


def _occurrences(tokens: list[Token], ngram: list[str]) -> list[list[Token]]:
    """Every run of ``tokens`` that spells ``ngram``."""
    words = [token.text for token in tokens]
    n = len(ngram)
    return [tokens[k : k + n] for k in range(len(words) - n + 1) if words[k : k + n] == ngram]


def _trimmed(run: list[Token]) -> list[Token]:
    """``run`` without the stop-words and punctuation at its ends (``di gudang`` → ``gudang``)."""
    keep = [k for k, token in enumerate(run) if shown(token.text)]
    return run[keep[0] : keep[-1] + 1] if keep else []


def map_explanation(text: str, pairs: list[tuple[str, float]], top_k: int) -> tuple[
        list[tuple[str, float]], list[tuple[int, int, float]]]:
    """Turn a backend's ``(normalised n-gram, weight)`` pairs for ``text`` into what a reader sees.

    Returns ``(explanation, highlights)``: at most ``top_k`` ``(original text, weight)`` pairs, strongest first, with
    n-grams made only of stop-words or punctuation dropped, their edges trimmed, and n-grams that show the same
    words as a stronger one dropped; and ``(start, end, weight)`` for every occurrence of each shown n-gram in
    ``text``, in text order (spans of different n-grams may overlap).
    """
    tokens = align(text)
    explanation: list[tuple[str, float]] = []
    highlights: list[tuple[int, int, float]] = []
    seen: set[str] = set()
    for ngram, weight in pairs:
        runs = [run for run in map(_trimmed, _occurrences(tokens, ngram.split())) if run]
        if not runs:
            continue
        placed = [run for run in runs if run[0].start is not None]
        words = text[placed[0][0].start : placed[0][-1].end] if placed else " ".join(t.text for t in runs[0])
        if words in seen:
            continue
        seen.add(words)
        weight = round(float(weight), 4)  # float32 contributions would print as 0.2842999994754791
        explanation.append((words, weight))
        highlights.extend((run[0].start, run[-1].end, weight) for run in placed)
        if len(explanation) == top_k:
            break
    return explanation, sorted(highlights)
