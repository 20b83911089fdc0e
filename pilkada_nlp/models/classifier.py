"""``Classifier``: a loaded model. It normalises text, asks its backend for logits, and does all post-processing
(calibration, thresholds, the primary-label rule) in one place, whatever the backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pilkada_nlp.explain import map_explanation
from pilkada_nlp.inputs import as_text_list, check_text, original_offset
from pilkada_nlp.labels import BENIGN, LABELS
from pilkada_nlp.predictions import Prediction
from pilkada_nlp.text import normalize


class Backend(Protocol):
    """What a backend provides: label order, logits for normalised texts, and per-text explanations."""

    labels: list[str]

    def logits(self, texts: list[str]) -> np.ndarray: ...

    def explain(self, text: str, label_index: int, top_k: int = 5) -> list[tuple[str, float]]: ...


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class Classifier:
    """A loaded pilkada-nlp model (see :func:`pilkada_nlp.load_model`).

    Like a fitted scikit-learn estimator: :meth:`predict_proba` returns an ``(n, 4)`` array in :attr:`labels` order,
    :meth:`predict` the label ids; :meth:`classify` returns :class:`~pilkada_nlp.Prediction` objects.

    Decision rule: a non-benign label is a *flag* when its probability reaches its threshold (tuned on validation data
    and stored in the manifest). The primary label is the flag with the highest probability, or ``benign`` when there
    is none. Thresholds are the knob a patrol team turns to trade false flags against missed posts.
    """

    def __init__(self, backend: Backend, metadata: dict[str, Any], path: Path | None = None) -> None:
        self.backend = backend
        self.metadata = metadata
        self.path = path
        self.labels: list[str] = list(metadata["labels"])
        self.temperature = float(metadata.get("temperature", 1.0))
        self.thresholds: dict[str, float] = {
            label: float(metadata.get("thresholds", {}).get(label, 0.5)) for label in self.labels if label != BENIGN
        }
        self.batch_size = int(metadata.get("batch_size", 2048))

    def __repr__(self) -> str:
        return f"Classifier(name={self.metadata.get('name')!r}, backend={self.metadata.get('backend')!r})"

    # -- scikit-learn style -------------------------------------------------------------------------------------
    def predict_proba(self, texts: object) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, len(labels))``, rows summing to 1; NaN rows for empty texts."""
        items, _ = as_text_list(texts)
        clean = [check_text(value, i)[0] for i, value in enumerate(items)]
        return self._probabilities(clean)

    def predict(self, texts: object) -> list[str]:
        """The primary label of each text (see the class docstring for the rule)."""
        return [prediction.label for prediction in self.classify(texts)]

    # -- the full result ----------------------------------------------------------------------------------------
    def classify(self, texts: object, *, explain: bool = False, top_k: int = 5) -> Prediction | list[Prediction]:
        """Classify one ``str`` (returns a :class:`Prediction`) or a sequence of ``str`` (returns a list, same order)."""
        items, single = as_text_list(texts)
        checked = [check_text(value, i) for i, value in enumerate(items)]
        texts_ = [text for text, _ in checked]
        probabilities = self._probabilities(texts_)
        predictions = []
        for original, (text, warning), row in zip(items, checked, probabilities):
            predictions.append(self._prediction(text, row, warning, explain, top_k, len(original)))
        return predictions[0] if single else predictions

    def _probabilities(self, texts: list[str]) -> np.ndarray:
        """Batched probabilities. Empty or whitespace-only texts get NaN rows: there is nothing to score, and a score
        made up from the model's prior (hoax 0.38 for the default) would look like evidence."""
        out = np.full((len(texts), len(self.labels)), np.nan, dtype=np.float64)
        rows = [i for i, text in enumerate(texts) if text.strip()]
        for start in range(0, len(rows), self.batch_size):
            index = rows[start : start + self.batch_size]
            logits = self.backend.logits([normalize(texts[i]) for i in index]).astype(np.float64)
            out[index] = softmax(logits / self.temperature)
        return out

    def _prediction(self, text: str, row: np.ndarray, warning: str | None, explain: bool, top_k: int,
                    original_length: int) -> Prediction:
        scores = {label: float(p) for label, p in zip(self.labels, row)}
        scores = {label: scores[label] for label in LABELS}
        flags = sorted(  # NaN scores (empty text) pass no threshold
            (label for label, threshold in self.thresholds.items() if scores[label] >= threshold),
            key=lambda label: -scores[label],
        )
        label = flags[0] if flags else BENIGN
        explanation = highlights = None
        if explain:
            explanation, highlights = self._explain(text, label, top_k, original_length)
        return Prediction(label, scores[label], scores, tuple(flags), explanation, warning, highlights)

    def _explain(self, text: str, label: str, top_k: int, original_length: int) -> tuple[
            tuple[tuple[str, float], ...], tuple[tuple[int, int, float], ...]]:
        """``(explanation, highlights)`` in the words and offsets of the caller's text (:mod:`pilkada_nlp.explain`).

        The backend ranks every n-gram (not just ``top_k``), so that ``top_k`` remain after hiding punctuation and
        stop-words."""
        normalised = normalize(text)
        if not normalised:
            return (), ()
        pairs = self.backend.explain(normalised, self.labels.index(label), 4 * len(normalised.split()))
        explanation, highlights = map_explanation(text, pairs, top_k)
        offsets = [(original_offset(start, len(text), original_length),
                    original_offset(end, len(text), original_length), w) for start, end, w in highlights]
        return tuple(explanation), tuple(offsets)
