"""``Classifier``: a loaded model. It normalises text, asks its backend for logits, and does all post-processing
(calibration, thresholds, the primary-label rule, the minimum-evidence rule) in one place, whatever the backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pilkada_nlp.explain import map_explanation
from pilkada_nlp.inputs import as_text_list, check_text, original_offset
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


def check_explain_top(explain_top: object) -> None:
    """Raise ``ValueError`` unless ``explain_top`` is a positive ``int`` (validated once, at the public entry)."""
    if isinstance(explain_top, bool) or not isinstance(explain_top, int) or explain_top < 1:
        raise ValueError(f"explain_top must be a positive int, got {explain_top!r}")


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
        """Calibrated probabilities, shape ``(n, len(labels))``, rows summing to 1; NaN rows for empty texts."""
        items, _ = as_text_list(texts)
        clean = [check_text(value, i)[0] for i, value in enumerate(items)]
        return self._probabilities(self._normalize_all(clean))

    def predict(self, texts: object) -> list[str]:
        """The primary label of each text (see the class docstring for the rule)."""
        return [prediction.label for prediction in self.classify(texts)]

    # -- the full result ----------------------------------------------------------------------------------------
    def classify(self, texts: object, *, explain: bool = False, explain_top: int = 5,
                 factcheck: object = None) -> Prediction | list[Prediction]:
        """Classify one ``str`` (returns a :class:`Prediction`) or a sequence of ``str`` (returns a list, same order).

        With ``explain``, each prediction's ``explanation`` holds at most ``explain_top`` words. (Not ``top_k``:
        in Hugging Face pipelines that is the number of labels returned; see :meth:`Prediction.to_pipeline`.)
        ``factcheck``: a :class:`~pilkada_nlp.factcheck.FactCheckIndex` (or its path): adds ``matches`` and applies
        the match rule of :mod:`pilkada_nlp.factcheck.integrate` to the ``hoax`` flag.
        """
        check_explain_top(explain_top)
        items, single = as_text_list(texts)
        checked = [check_text(value, i) for i, value in enumerate(items)]
        texts = [text for text, _ in checked]
        inputs = self._normalize_all(texts)
        probabilities = self._probabilities(inputs)
        # the evidence rule reads the current normaliser's output: the model's own input when it is that version
        current = self.normalizer_version == NORMALIZER_VERSION
        evidence = inputs if current else self._normalize_all(texts, NORMALIZER_VERSION)
        predictions = []
        for original, (text, warning), model_input, evidence_text, row in zip(items, checked, inputs, evidence,
                                                                               probabilities):
            predictions.append(self._prediction(text, model_input, row, warning, explain, explain_top, len(original),
                                                evidence_text))
        if factcheck is not None:
            from pilkada_nlp.factcheck.integrate import apply_matches, as_index

            predictions = apply_matches(predictions, [text for text, _ in checked], as_index(factcheck))
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
        """Calibrated probabilities of backend inputs (see :meth:`_normalize`), in batches. Empty inputs get NaN
        rows: there is nothing to score, and a score made up from the model's prior (hoax 0.38 for the first default)
        would look like evidence."""
        out = np.full((len(inputs), len(self.labels)), np.nan, dtype=np.float64)
        rows = [i for i, text in enumerate(inputs) if text.strip()]
        for start in range(0, len(rows), self.batch_size):
            index = rows[start : start + self.batch_size]
            logits = self.backend.logits([inputs[i] for i in index]).astype(np.float64)
            out[index] = softmax(logits / self.temperature)
        return out

    def _prediction(self, text: str, model_input: str, row: np.ndarray, warning: str | None, explain: bool,
                    explain_top: int, original_length: int, evidence_text: str) -> Prediction:
        """One post's result; ``evidence_text`` is the post as the current normaliser writes it."""
        scores = {label: float(p) for label, p in zip(self.labels, row)}
        scores = {label: scores[label] for label in LABELS}
        flags: list[str] = []
        if text.strip() and not has_evidence(evidence_text):
            warning = f"{warning}; {NO_EVIDENCE_WARNING}" if warning else NO_EVIDENCE_WARNING
        else:
            flags = sorted(  # NaN scores (empty text) pass no threshold
                (label for label, threshold in self.thresholds.items() if scores[label] >= threshold),
                key=lambda label: -scores[label],
            )
        label = flags[0] if flags else BENIGN
        explanation = highlights = None
        if explain:
            # raw-text backends (the ensemble) are explained on the current normaliser's words, which
            # map_explanation aligns with the original text
            explain_input = evidence_text if self.normalizer_version is None else model_input
            explanation, highlights = self._explain(text, explain_input, label, explain_top, original_length)
        return Prediction(label, scores[label], scores, tuple(flags), explanation, warning, highlights)

    def _explain(self, text: str, normalised: str, label: str, explain_top: int, original_length: int) -> tuple[
            tuple[tuple[str, float], ...], tuple[tuple[int, int, float], ...]]:
        """``(explanation, highlights)`` in the words and offsets of the caller's text (:mod:`pilkada_nlp.explain`).

        The backend ranks every n-gram (not just ``explain_top``), so that ``explain_top`` remain after hiding
        punctuation and stop-words."""
        if not normalised:
            return (), ()
        pairs = self.backend.explain(normalised, self.labels.index(label), 4 * len(normalised.split()))
        explanation, highlights = map_explanation(text, pairs, explain_top)
        offsets = [(original_offset(start, len(text), original_length),
                    original_offset(end, len(text), original_length), w) for start, end, w in highlights]
        return tuple(explanation), tuple(offsets)
