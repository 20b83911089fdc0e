"""The result of classifying one post, and its conversions to the shapes other tools expect."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pilkada_nlp.labels import LABELS


@dataclass(frozen=True)
class Prediction:
    """One post's result.

    Attributes:
        label: the primary label: the flag label with the highest score among those that pass their threshold, or
            ``"benign"`` when none does.
        score: the probability of ``label``.
        scores: the probability of every label (in :data:`pilkada_nlp.LABELS` order); they sum to 1.
        flags: every non-benign label whose score passes its threshold, highest score first. Empty means "no review".
        explanation: with ``explain=True``, the n-grams that pushed hardest towards ``label``, as
            ``(ngram, contribution)`` pairs, strongest first; otherwise ``None``.
        warning: why the input was handled specially (empty, truncated, invalid characters), or ``None``.
        matches: with ``classify(..., factcheck=index)``, the fact-checks the post matched
            (:class:`pilkada_nlp.factcheck.Match`, best first); otherwise ``None``.
    """

    label: str
    score: float
    scores: dict[str, float]
    flags: tuple[str, ...] = ()
    explanation: tuple[tuple[str, float], ...] | None = None
    warning: str | None = field(default=None)
    matches: tuple[Any, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of all fields."""
        out = asdict(self)
        out["flags"] = list(self.flags)
        out["explanation"] = None if self.explanation is None else [list(pair) for pair in self.explanation]
        out["matches"] = None if self.matches is None else [dict(match) for match in out["matches"]]
        return out

    def to_pipeline(self) -> dict[str, Any]:
        """The Hugging Face ``text-classification`` pipeline shape: ``{"label": ..., "score": ...}``."""
        return {"label": self.label, "score": self.score}

    def to_row(self) -> dict[str, Any]:
        """A flat dict for one DataFrame row: ``label``, ``score``, ``score_<label>`` per label, ``flags``, ``warning``
        (and, with fact-check matches, ``match_claim``, ``match_url``, ``match_verdict``, ``match_similarity``,
        ``match_stance`` of the best match).

        ``flags`` is joined with ``;`` (empty string for none) so the row survives CSV round trips.
        """
        row: dict[str, Any] = {"label": self.label, "score": self.score}
        row.update({f"score_{label}": self.scores[label] for label in LABELS})
        row["flags"] = ";".join(self.flags)
        if self.explanation is not None:
            row["explanation"] = "; ".join(f"{ngram} ({weight:+.2f})" for ngram, weight in self.explanation)
        row["warning"] = self.warning
        if self.matches is not None:  # the best fact-check match: one set of columns, empty when none
            top = self.matches[0] if self.matches else None
            row.update({"match_claim": top.claim if top else "", "match_url": top.url if top else "",
                        "match_verdict": top.verdict if top else "",
                        "match_similarity": top.similarity if top else float("nan"),
                        "match_stance": (top.stance or "") if top else ""})
        return row


def to_frame(predictions: list[Prediction]):
    """A pandas DataFrame with one :meth:`Prediction.to_row` per prediction, in order."""
    import pandas as pd

    return pd.DataFrame([prediction.to_row() for prediction in predictions])
