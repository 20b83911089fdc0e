"""How fact-check matches change a prediction (``classify(texts, factcheck=index)``).

For each post, the deciding match is the most similar one whose verdict is false (a debunked claim):

* similarity >= ``assert_similarity`` and stance ``asserts``: ``hoax`` becomes a flag and the primary label, even
  when the wording model is unsure (the post repeats a known hoax);
* similarity >= ``debunk_similarity`` and stance ``debunks``: the ``hoax`` flag is removed (quoting a hoax to refute
  it is benign under the guidelines);
* stance ``questions`` changes nothing: a reviewer decides.

Posts without evidence (the classifier's no-evidence rule) or empty ones are never raised. The thresholds are the
index's (``index.thresholds``, tuned on validation by :func:`tune_thresholds` and stored in the manifest). Scores
stay the wording model's; the match that decided is in ``Prediction.matches``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pilkada_nlp.labels import BENIGN

HOAX = "hoax"


def as_index(factcheck: Any) -> Any:
    """An open index for an index object or a path (paths are opened read-only once and cached)."""
    if hasattr(factcheck, "match") and hasattr(factcheck, "thresholds"):
        return factcheck
    from pathlib import Path

    from pilkada_nlp.factcheck.index import load_index

    key = str(Path(factcheck).expanduser().resolve())
    if key not in _OPEN:
        _OPEN[key] = load_index(key)
    return _OPEN[key]


_OPEN: dict[str, Any] = {}


def deciding_match(matches: Sequence[Any]) -> Any | None:
    """The most similar match with a false verdict, or None."""
    false = [m for m in matches if m.verdict_class == "false"]
    return max(false, key=lambda m: m.similarity) if false else None


def decide(flags: tuple[str, ...], scores: dict[str, float], matches: Sequence[Any], thresholds: dict[str, Any],
           can_raise: bool = True) -> tuple[str, ...]:
    """The flags after the matches' rule (see the module docstring)."""
    match = deciding_match(matches)
    if match is None:
        return flags
    if can_raise and match.stance == "asserts" and match.similarity >= float(thresholds["assert_similarity"]):
        return (HOAX,) + tuple(f for f in flags if f != HOAX)
    if match.stance == "debunks" and match.similarity >= float(thresholds["debunk_similarity"]):
        return tuple(f for f in flags if f != HOAX)
    return flags


def apply_matches(predictions: list, texts: list[str], index: Any, k: int = 5) -> list:
    """Predictions with ``matches`` filled in and their flags/label changed by the rule above."""
    from pilkada_nlp.models.classifier import NO_EVIDENCE_WARNING

    all_matches = index.match(list(texts), k=k)
    thresholds = index.thresholds
    out = []
    for prediction, matches in zip(predictions, all_matches):
        can_raise = not (prediction.warning and NO_EVIDENCE_WARNING in prediction.warning)
        flags = decide(prediction.flags, prediction.scores, matches, thresholds, can_raise)
        label = flags[0] if flags else BENIGN
        out.append(dataclasses.replace(prediction, label=label, score=prediction.scores[label], flags=flags,
                                       matches=tuple(matches)))
    return out


def tune_thresholds(flags: list[tuple[str, ...]], scores: list[dict[str, float]], matches: list[Sequence[Any]],
                    is_hoax: list[bool], grid: Sequence[float] | None = None) -> dict[str, Any]:
    """Pick ``assert_similarity`` and ``debunk_similarity`` on validation posts.

    ``flags`` / ``scores``: the wording model's per post; ``matches``: the index's; ``is_hoax``: the gold answer.
    Chosen: the most hoax posts flagged such that no more non-hoax posts are flagged ``hoax`` than without the index;
    ties go to the highest thresholds (the most conservative). Returns the thresholds and their validation counts.
    """
    grid = list(grid or [round(0.30 + 0.025 * i, 3) for i in range(28)])
    base_fp = sum(HOAX in f and not gold for f, gold in zip(flags, is_hoax))
    base_tp = sum(HOAX in f and gold for f, gold in zip(flags, is_hoax))
    best = None
    for asserting in grid:
        for debunking in grid:
            th = {"assert_similarity": asserting, "debunk_similarity": debunking}
            new = [decide(f, s, m, th) for f, s, m in zip(flags, scores, matches)]
            tp = sum(HOAX in f and gold for f, gold in zip(new, is_hoax))
            fp = sum(HOAX in f and not gold for f, gold in zip(new, is_hoax))
            if fp > base_fp:
                continue
            key = (tp - fp, asserting, debunking)
            if best is None or key > best[0]:
                best = (key, th, tp, fp)
    _, th, tp, fp = best
    n_hoax = sum(is_hoax)
    return {**th, "tuned_on": {"posts": len(is_hoax), "hoax": n_hoax, "hoax_flagged_before": base_tp,
                               "hoax_flagged_after": tp, "false_flags_before": base_fp, "false_flags_after": fp}}
