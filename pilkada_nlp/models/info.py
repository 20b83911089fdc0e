"""What ``pilkada-nlp info`` shows: a model's manifest, read without loading the model.

Reading only ``model.json`` (and checking the folder's file hashes) keeps ``info`` instant for every backend: an
``ensemble`` or a ``transformer`` would otherwise import torch and load its weights just to print metadata.

Every rate shown carries the posts it rests on (``4 of 11``) and a 95% Wilson interval, so that a recall measured on
11 real posts is not read like one measured on 1,453.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pilkada_nlp.labels import BENIGN, LABEL_INFO
from pilkada_nlp.models import resolve
from pilkada_nlp.models.manifest import read_manifest

#: Metric splits shown, in order (validation tuned the thresholds, so it is left to ``--json``).
SHOWN_SPLITS = ("test", "real_test")


def read_info(name_or_path: str | Path | None) -> tuple[Path, dict[str, Any]]:
    """``(directory, manifest)`` of a model: a shipped name, a directory, or ``None`` for the default.

    Raises what :func:`pilkada_nlp.load_model` raises for an unknown name or a damaged directory, without importing
    any backend.
    """
    directory = resolve(name_or_path)
    return directory, read_manifest(directory)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion: sensible for small ``n`` and for 0 or ``n`` successes."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_with_sample(rate: float, n: int, of_what: str) -> str:
    """``0.364 (4 of 11 posts to flag; 95% CI 0.152-0.646)``: a rate with the count it rests on."""
    count = round(rate * n)
    low, high = wilson_interval(count, n)
    return f"{rate:.3f} ({count:,} of {n:,} {of_what}; 95% CI {low:.3f}-{high:.3f})"


def metric_lines(metrics: dict[str, Any]) -> list[str]:
    """One line per shown split: macro-F1 over its posts, false-flag rate over benign posts, recall over the rest."""
    lines = []
    for split in SHOWN_SPLITS:
        result = metrics.get(split)
        if not result:
            continue
        flags = result["flags"]
        lines.append(f"  {split} ({result['n']:,} posts): macro-F1 {result['macro_f1']:.3f}")
        lines.append("    false-flag rate " + rate_with_sample(flags["false_flag_rate"], flags["benign_n"], "benign posts"))
        lines.append("    flag recall     " + rate_with_sample(flags["flag_recall"], flags["non_benign_n"], "posts to flag"))
    return lines


def to_text(directory: Path, manifest: dict[str, Any]) -> str:
    """The plain-text ``pilkada-nlp info`` report."""
    thresholds = manifest.get("thresholds", {})
    lines = [
        f"model:       {manifest['name']} (backend {manifest['backend']}, pilkada-nlp {manifest.get('version')})",
        f"path:        {directory}",
        f"created:     {manifest.get('created')}",
    ]
    members = manifest.get("members")
    if members:
        lines.append("members:     " + ", ".join(f"{m['model']} (weight {m['weight']})" for m in members))
    lines.append("labels:")
    for label in manifest["labels"]:
        shown = "-" if label == BENIGN else thresholds.get(label, "-")
        lines.append(f"  {label:<17} {LABEL_INFO[label].indonesian:<17} threshold {shown}")
    metrics = metric_lines(manifest.get("metrics", {}))
    if metrics:
        lines.append("held-out metrics:")
        lines.extend(metrics)
    lines.append("training data (source: licence):")
    for source, licence in manifest.get("training_data", {}).get("sources", {}).items():
        lines.append(f"  {source}: {licence}")
    return "\n".join(lines)
