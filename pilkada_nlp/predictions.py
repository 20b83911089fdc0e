"""The result of classifying one post, and its conversions to the shapes other tools expect."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, overload

from pilkada_nlp.labels import LABELS


class _Primary(Enum):
    """``to_pipeline()`` without ``top_k``: the pipeline's one-label shape (HF tells "not given" from ``None`` too)."""

    PRIMARY = "primary"


_PRIMARY = _Primary.PRIMARY


@dataclass(frozen=True)
class Prediction:
    """One post's result.

    Attributes:
        label: the primary label: the flag label with the highest score among those that pass their threshold, or
            ``"benign"`` when none does.
        score: the probability of ``label``.
        scores: the probability of every label (in :data:`pilkada_nlp.LABELS` order); they sum to 1.
        flags: every non-benign label whose score passes its threshold, highest score first. Empty means "no review".
            **Flags are single-label in practice**: the scores are one softmax (they sum to 1), and every pair of
            the default's and the transformer's thresholds sums to more than 1, so two labels can't both pass. The
            ensemble's thresholds leave two pairs open (hoax + illegal_campaign 0.975, hate_speech +
            illegal_campaign 1.0), but no validation post reaches them. A post that fits two labels (a hateful hoax)
            gets the one the annotation guidelines' primary-label rule picks (``illegal_campaign`` > ``hate_speech``
            > ``hoax``), which is also how the training labels were made; ``benchmarks/multilabel.py`` has the
            numbers. Read ``flags`` as "review this post, for this reason", not as a list of every label that fits.
        explanation: with ``explain=True``, the words that pushed hardest towards ``label``, as ``(text,
            contribution)`` pairs, strongest first, ``text`` written as in the post (``"wkwk"``, ``"50rb"``, not the
            normalised ``tertawa`` / ``nominaluang``); punctuation and function words (``resources/
            display_stopwords.json``) are never shown. Otherwise ``None``.
        warning: why the input was handled specially (empty, truncated, invalid characters), or ``None``.
        highlights: with ``explain=True``, ``(start, end, contribution)`` for every place in the post where a word
            of ``explanation`` occurs, in text order: ``text[start:end]`` is the word, offsets into the string that
            was passed to ``classify`` (spans of different words may overlap). Otherwise ``None``.

    Empty or whitespace-only text has nothing to score: ``label`` is ``"benign"``, ``flags`` is empty, ``score`` and
    every value of ``scores`` are NaN (``None`` in :meth:`to_dict`, so JSON stays valid) and ``warning`` is
    ``"empty text"``. :func:`pilkada_nlp.score_file` writes the same row: benign, no flags, empty scores, ``error``
    ``"empty text"``.
    """

    label: str
    score: float
    scores: dict[str, float]
    flags: tuple[str, ...] = ()
    explanation: tuple[tuple[str, float], ...] | None = None
    warning: str | None = field(default=None)
    highlights: tuple[tuple[int, int, float], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of all fields."""
        out = asdict(self)
        out["score"] = _json_number(self.score)
        out["scores"] = {label: _json_number(value) for label, value in self.scores.items()}
        out["flags"] = list(self.flags)
        out["explanation"] = None if self.explanation is None else [list(pair) for pair in self.explanation]
        out["highlights"] = None if self.highlights is None else [list(span) for span in self.highlights]
        return out

    @overload
    def to_pipeline(self) -> dict[str, Any]: ...

    @overload
    def to_pipeline(self, top_k: int | None) -> list[dict[str, Any]]: ...

    def to_pipeline(self, top_k: int | None | _Primary = _PRIMARY) -> dict[str, Any] | list[dict[str, Any]]:
        """The Hugging Face ``text-classification`` pipeline shapes, which depend on ``top_k`` as they do there.

        * ``to_pipeline()``: ``{"label": ..., "score": ...}`` for the primary :attr:`label` (the decision rule's
          label, which can differ from the highest-scoring one);
        * ``to_pipeline(top_k=None)``: every label, ``[{"label": ..., "score": ...}, ...]``, highest score first (as
          ``pipeline(..., top_k=None)``);
        * ``to_pipeline(top_k=k)``: the ``k`` highest-scoring labels in that shape.
        """
        if top_k is _PRIMARY:
            return {"label": self.label, "score": self.score}
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be None or a positive int, got {top_k!r}")
        ranked = sorted(self.scores.items(), key=lambda item: -item[1])
        return [{"label": label, "score": score} for label, score in ranked[:top_k]]

    def to_row(self) -> dict[str, Any]:
        """A flat dict for one DataFrame row: ``label``, ``score``, ``score_<label>`` per label, ``flags``, ``warning``.

        ``flags`` is joined with ``;`` (empty string for none) so the row survives CSV round trips.
        """
        row: dict[str, Any] = {"label": self.label, "score": self.score}
        row.update({f"score_{label}": self.scores[label] for label in LABELS})
        row["flags"] = ";".join(self.flags)
        if self.explanation is not None:
            row["explanation"] = "; ".join(f"{ngram} ({weight:+.2f})" for ngram, weight in self.explanation)
        row["warning"] = self.warning
        return row


def _json_number(value: float) -> float | None:
    """``None`` for NaN, which JSON can't hold."""
    return None if math.isnan(value) else value


def to_frame(predictions: list[Prediction]):
    """A pandas DataFrame with one :meth:`Prediction.to_row` per prediction, in order."""
    import pandas as pd

    return pd.DataFrame([prediction.to_row() for prediction in predictions])
