"""Explanations by occlusion, for backends whose scores cannot be split into per-word parts (transformer, ensemble).

A word's contribution is how much the label's margin drops when every occurrence of the word is removed. Margin =
score of the label minus the mean score of the other labels: the quantity the linear backend attributes to n-grams,
so explanations read the same whatever the backend.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_OCCLUDED_WORDS = 200


def explain_by_occlusion(scores: Callable[[list[str]], np.ndarray], text: str, label_index: int,
                         top_k: int = 5) -> list[tuple[str, float]]:
    """``[(word, contribution)]`` for the words whose removal lowers the margin most, strongest first.

    ``scores`` maps texts to an ``(n, labels)`` array (logits or log-probabilities). At most ``MAX_OCCLUDED_WORDS``
    distinct words (the first ones) are tried, all in one batched call.
    """
    words = list(dict.fromkeys(text.split()))[:MAX_OCCLUDED_WORDS]
    if not words:
        return []
    variants = [" ".join(w for w in text.split() if w != word) for word in words]
    values = scores([text, *variants])
    others = np.delete(values, label_index, axis=1).mean(axis=1)
    margin = values[:, label_index] - others
    contribution = np.round(margin[0] - margin[1:], 4)  # rounded first, so no word is reported with weight 0.0
    order = np.argsort(-contribution, kind="stable")[:top_k]
    return [(words[i], float(contribution[i])) for i in order if contribution[i] > 0]
