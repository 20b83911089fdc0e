"""The ensemble backend: a weighted mean of other models' calibrated probabilities.

An ensemble directory holds only a ``model.json``. Its ``members`` name other models (a shipped name, or a directory
relative to the ensemble's) with a weight and the member's :func:`~pilkada_nlp.models.manifest.model_identity` (a hash
of its weights, labels, thresholds and calibration), so a member that computes anything different after the ensemble
was tuned is refused rather than silently mixed with stale thresholds; a retrain that reproduces it is accepted.

The ensemble reads raw text (``takes_raw_text``): each member normalises it with the normaliser version it was
trained with, so members of different versions can be mixed. Each member keeps its own temperature and backend; the
ensemble returns the log of the mean probability, so the classifier's softmax (temperature 1) gives back exactly that mean, and its own thresholds,
tuned on validation for the mixture, decide the flags.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pilkada_nlp.backends.occlusion import explain_by_occlusion
from pilkada_nlp.models.manifest import MANIFEST, ModelFileError, model_identity, read_manifest


class EnsembleBackend:
    """Log of the weighted mean of member probabilities, one column per label in ``labels`` order."""

    name = "ensemble"
    takes_raw_text = True

    def __init__(self, labels: list[str], members: list[tuple[Any, float]]) -> None:
        if not members:
            raise ModelFileError("an ensemble needs at least one member")
        self.labels = list(labels)
        self.members = members
        self.columns = [[member.labels.index(label) for label in self.labels] for member, _ in members]
        self.total_weight = float(sum(weight for _, weight in members))

    @classmethod
    def load(cls, directory: Path, manifest: dict, load_member: Callable[[Path], Any]) -> EnsembleBackend:
        """Check, then load, every member; ``load_member`` is :func:`pilkada_nlp.load_model`'s cache.

        A member's identity is computed from its ``model.json`` *before* the member is loaded, so nothing of a swapped
        member is read, and references can't loop: an ensemble's identity includes its members' identities, so a
        member that (directly or through others) pinned the ensemble would need a sha256 fixed point.
        """
        members = []
        for entry in manifest["members"]:
            path = member_directory(Path(directory), entry["model"])
            if model_identity(read_manifest(path, verify=False)) != entry["identity"]:
                raise ModelFileError(
                    f"{directory}: member {entry['model']!r} is not the model this ensemble was tuned with "
                    "(its weights, thresholds or calibration changed); rebuild the ensemble with training.ensemble"
                )
            members.append((load_member(path), float(entry["weight"])))
        return cls(manifest["labels"], members)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Weighted mean of the members' calibrated probabilities for raw texts."""
        total = np.zeros((len(texts), len(self.labels)))
        for (member, weight), columns in zip(self.members, self.columns):
            total += weight * member._probabilities([member._normalize(text) for text in texts])[:, columns]
        return total / self.total_weight

    def logits(self, texts: list[str]) -> np.ndarray:
        return np.log(np.clip(self.probabilities(texts), 1e-12, None))

    def explain(self, text: str, label_index: int, top_k: int = 5) -> list[tuple[str, float]]:
        """Words whose removal lowers the label's log-probability margin most (:func:`explain_by_occlusion`)."""
        return explain_by_occlusion(self.logits, text, label_index, top_k)


def member_directory(directory: Path, reference: str) -> Path:
    """The folder of the member ``reference`` names (a folder relative to the ensemble's, a shipped name, or, for a
    name this install doesn't ship, the folder of that name beside the ensemble's, so a checkout's ``ensemble``
    loaded by path from a wheel install finds the checkout's ``transformer``), after checking that it is a model
    folder other than the ensemble itself."""
    from pilkada_nlp.models import available_models, resolve

    local, beside = directory / reference, directory.parent / reference
    try:
        if not local.is_dir() and reference not in available_models() and (beside / MANIFEST).is_file():
            local = beside
        path = resolve(local if local.is_dir() else reference)
    except FileNotFoundError as error:
        raise ModelFileError(f"{directory}: member {reference!r}: {error}") from None
    if path.resolve() == directory.resolve():
        raise ModelFileError(f"{directory}: member {reference!r} is the ensemble itself")
    if not (path / MANIFEST).is_file():
        raise ModelFileError(f"{directory}: member {reference!r} is not a model directory ({MANIFEST} not found)")
    return path
