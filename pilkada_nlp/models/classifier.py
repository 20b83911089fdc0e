"""``Classifier``: a loaded model. It normalises text, asks its backend for logits, and does all post-processing
(calibration, thresholds, the primary-label rule, the minimum-evidence rule) in one place, whatever the backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pilkada_nlp.inputs import EMPTY_WARNING, as_text_list, check_text
from pilkada_nlp.labels import BENIGN, LABELS
from pilkada_nlp.predictions import Prediction
from pilkada_nlp.text import NORMALIZER_VERSION, has_evidence, normalize, normalize_batch

#: Warning of a post that holds no word that could support a flag (see :func:`pilkada_nlp.text.has_evidence`).
NO_EVIDENCE_WARNING = "no evidence: nothing in the text could support a flag"


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

    Minimum evidence: a post with no informative word (greetings, thanks, one-word replies, numbers, emoji) is never
    flagged, whatever its scores: on such a text a model can only return the prior of its largest flagged class.
    It gets ``benign`` and :data:`NO_EVIDENCE_WARNING`.
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
        #: Backends such as the ensemble take raw text: each member normalises with its own version.
        self.normalizer_version = None if getattr(backend, "takes_raw_text", False) else metadata["normalizer_version"]

    def __repr__(self) -> str:
        return f"Classifier(name={self.metadata.get('name')!r}, backend={self.metadata.get('backend')!r})"

    # -- scikit-learn style -------------------------------------------------------------------------------------
    def predict_proba(self, texts: object) -> np.ndarray:
        """Calibrated probabilities, shape ``(n, len(labels))``, rows summing to 1."""
        items, _ = as_text_list(texts)
        clean = [check_text(value, i)[0] for i, value in enumerate(items)]
        return self._probabilities(self._normalize_all(clean))

    def predict(self, texts: object) -> list[str]:
        """The primary label of each text (see the class docstring for the rule)."""
        return [prediction.label for prediction in self.classify(texts)]

    # -- the full result ----------------------------------------------------------------------------------------
    def classify(self, texts: object, *, explain: bool = False, top_k: int = 5) -> Prediction | list[Prediction]:
        """Classify one ``str`` (returns a :class:`Prediction`) or a sequence of ``str`` (returns a list, same order)."""
        items, single = as_text_list(texts)
        checked = [check_text(value, i) for i, value in enumerate(items)]
        texts = [text for text, _ in checked]
        inputs = self._normalize_all(texts)
        probabilities = self._probabilities(inputs)
        # the evidence rule reads the current normaliser's output: the model's own input when it is that version
        current = self.normalizer_version == NORMALIZER_VERSION
        evidence = inputs if current else self._normalize_all(texts, NORMALIZER_VERSION)
        predictions = []
        for (text, warning), model_input, evidence_text, row in zip(checked, inputs, evidence, probabilities):
            predictions.append(self._prediction(text, model_input, row, warning, explain, top_k, evidence_text))
        return predictions[0] if single else predictions

    def _normalize(self, text: str) -> str:
        """What the backend reads: the text normalised with the model's version, or as is for raw-text backends."""
        return text if self.normalizer_version is None else normalize(text, self.normalizer_version)

    def _normalize_all(self, texts: list[str], version: str | None = None) -> list[str]:
        """:meth:`_normalize` of every text (with ``version``, the model's by default), batched when there are several
        (:func:`~pilkada_nlp.text.normalize_batch`, same output)."""
        version = version or self.normalizer_version
        if version is None:
            return list(texts)
        if len(texts) == 1:
            return [normalize(texts[0], version)]
        return normalize_batch(texts, version)

    def _probabilities(self, inputs: list[str]) -> np.ndarray:
        """Calibrated probabilities of backend inputs (see :meth:`_normalize`), in batches."""
        out = np.empty((len(inputs), len(self.labels)), dtype=np.float64)
        for start in range(0, len(inputs), self.batch_size):
            batch = inputs[start : start + self.batch_size]
            logits = self.backend.logits(batch).astype(np.float64)
            out[start : start + len(batch)] = softmax(logits / self.temperature)
        return out

    def _prediction(self, text: str, model_input: str, row: np.ndarray, warning: str | None, explain: bool,
                    top_k: int, evidence_text: str | None = None) -> Prediction:
        scores = {label: float(p) for label, p in zip(self.labels, row)}
        scores = {label: scores[label] for label in LABELS}
        if warning and EMPTY_WARNING in warning:
            flags: list[str] = []
        elif not has_evidence(normalize(text) if evidence_text is None else evidence_text):
            flags = []
            warning = f"{warning}; {NO_EVIDENCE_WARNING}" if warning else NO_EVIDENCE_WARNING
        else:
            flags = sorted(
                (label for label, threshold in self.thresholds.items() if scores[label] >= threshold),
                key=lambda label: -scores[label],
            )
        label = flags[0] if flags else BENIGN
        explanation = None
        if explain:
            pairs = [] if not text.strip() else self.backend.explain(model_input, self.labels.index(label), top_k)
            explanation = tuple(pairs)
        return Prediction(label, scores[label], scores, tuple(flags), explanation, warning)
