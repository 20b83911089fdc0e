"""The ensemble backend: a weighted mean of other models' calibrated probabilities.

An ensemble directory holds only a ``model.json``. Its ``members`` name other models (a shipped name, or a directory
relative to the ensemble's) with a weight and the sha256 of the member's own ``model.json``, so a member that is
retrained or swapped after the ensemble was tuned is refused rather than silently mixed with stale thresholds.

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
from pilkada_nlp.models.manifest import MANIFEST, ModelFileError, sha256_of


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
    def load(cls, directory: Path, manifest: dict, load_member: Callable[[str | Path], Any]) -> EnsembleBackend:
        """Load and check every member; ``load_member`` is :func:`pilkada_nlp.load_model`'s resolver and cache."""
        members = []
        for entry in manifest.get("members", []):
            local = Path(directory) / entry["model"]
            member = load_member(local if local.is_dir() else entry["model"])
            if sha256_of(member.path / MANIFEST) != entry["manifest_sha256"]:
                raise ModelFileError(
                    f"{directory}: member {entry['model']!r} is not the model this ensemble was tuned with "
                    "(its model.json changed); rebuild the ensemble with training.ensemble"
                )
            members.append((member, float(entry["weight"])))
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
