"""pilkada-nlp: flag Indonesian social-media posts about regional elections for human review.

    >>> import pilkada_nlp
    >>> pilkada_nlp.classify("Besok subuh ada amplop 100rb, asal coblos nomor 2")   # doctest: +SKIP
    Prediction(label='illegal_campaign', score=0.93, ...)

Public API: :func:`classify`, :func:`load_model`, :data:`LABELS`, :class:`Prediction`; for tables and files,
:func:`score_dataframe` and :func:`score_file`.
"""

from __future__ import annotations

from pathlib import Path

from pilkada_nlp.labels import LABEL_INFO, LABELS
from pilkada_nlp.models import Classifier, ModelFileError, load_model
from pilkada_nlp.predictions import Prediction, to_frame

__version__ = "0.1.0"  # the only version string: pyproject.toml reads it, and model manifests record it


def classify(
    texts: object, *, model: Classifier | str | Path | None = None, explain: bool = False, explain_top: int = 5
) -> Prediction | list[Prediction]:
    """Classify Indonesian posts as ``hoax``, ``hate_speech``, ``illegal_campaign`` or ``benign``.

    Args:
        texts: one ``str`` (returns one :class:`Prediction`), or a list, tuple or pandas Series of ``str`` (returns a
            list of predictions in the same order, even for one item).
        model: a loaded :class:`Classifier`, a shipped model name, a model directory, or ``None`` for the default.
            Models are loaded once and cached.
        explain: also return the words of the post (as written in it) that pushed hardest towards each predicted
            label, and their character offsets for highlighting (``Prediction.explanation`` and ``.highlights``).
        explain_top: with ``explain``, at most this many words per prediction.

    Raises:
        TypeError: ``texts`` is not a string or a sequence of strings; the message names the offending index.

    Empty or whitespace-only texts give ``benign`` with no flags, NaN scores and ``warning="empty text"`` (as
    :func:`score_file` does); very long texts are truncated (with a warning); see :mod:`pilkada_nlp.inputs`.
    """
    classifier = model if isinstance(model, Classifier) else load_model(model)
    return classifier.classify(texts, explain=explain, explain_top=explain_top)


def __getattr__(name: str):
    """``score_dataframe`` and ``score_file`` (:mod:`pilkada_nlp.batch`) load on first use: they need pandas, which
    ``classify`` doesn't, so ``import pilkada_nlp`` stays fast."""
    if name in ("score_dataframe", "score_file"):
        from pilkada_nlp import batch

        return getattr(batch, name)
    raise AttributeError(f"module 'pilkada_nlp' has no attribute {name!r}")


__all__ = [
    "LABELS", "LABEL_INFO", "Classifier", "ModelFileError", "Prediction", "__version__", "classify", "load_model",
    "score_dataframe", "score_file", "to_frame",
]
