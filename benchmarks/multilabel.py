"""Could ``flags`` hold two labels? The numbers behind documenting them as single-label.

    python benchmarks/multilabel.py                    # default, transformer and ensemble on data/processed
    python benchmarks/multilabel.py --model default

Scores are one softmax, so two flag labels can both pass only when their thresholds sum to at most 1. For each model
this reports which threshold pairs allow it, how many **validation** posts get two flags at the shipped thresholds,
how many have a second flag label within 0.1 of its threshold, and how many would get two flags if each label were
scored against ``benign`` alone, ``p_label / (p_label + p_benign)``: the closest thing to an independent per-label
head that the shipped models give without retraining (same thresholds). The annotation side says whether there is anything to train independent heads on: how often two annotators of one post
chose two different flag labels (the guidelines' primary-label rule asks for one label per post).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pilkada_nlp
from benchmarks.common import provenance, table
from pilkada_nlp.labels import FLAG_LABELS, LABELS
from training.ensemble import member_probabilities

NEAR = 0.1


def open_pairs(thresholds: dict[str, float]) -> list[str]:
    """The flag-label pairs whose thresholds sum to at most 1: the only ones a softmax can flag together."""
    return [f"{a}+{b}" for a, b in itertools.combinations(FLAG_LABELS, 2) if thresholds[a] + thresholds[b] <= 1]


def second_flag_counts(probabilities: np.ndarray, thresholds: dict[str, float]) -> tuple[int, int]:
    """``(two_flags, near)``: posts with two passing flag labels, and posts whose runner-up flag label is within
    :data:`NEAR` of its threshold while the top one passes."""
    columns = [LABELS.index(label) for label in FLAG_LABELS]
    limits = np.array([thresholds[label] for label in FLAG_LABELS])
    gaps = probabilities[:, columns] - limits  # >= 0: passes
    ordered = np.sort(gaps, axis=1)[:, ::-1]
    top, second = ordered[:, 0], ordered[:, 1]
    return int(((top >= 0) & (second >= 0)).sum()), int(((top >= 0) & (second >= -NEAR)).sum())


def against_benign_counts(probabilities: np.ndarray, thresholds: dict[str, float],
                          gold: np.ndarray) -> tuple[int, int]:
    """``(posts, gold_benign)``: posts with two or more flag labels whose score against benign alone passes their
    threshold, and how many of them are benign in the gold labels (every second flag is wrong under single-label
    gold; on a benign post both are)."""
    benign = probabilities[:, LABELS.index("benign")]
    passing = [probabilities[:, LABELS.index(label)] / (probabilities[:, LABELS.index(label)] + benign + 1e-12)
               >= thresholds[label] for label in FLAG_LABELS]
    two = np.sum(passing, axis=0) >= 2
    return int(two.sum()), int((two & (gold == "benign")).sum())


def annotation_overlap(annotations: Path) -> tuple[int, int, int]:
    """``(posts_with_two_annotators, of_them_with_a_flag, of_them_with_two_different_flags)`` in the project's labels."""
    frame = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(annotations.glob("*.csv"))])
    labels = frame.groupby(["source", "row_key"])["label"].agg(lambda s: set(s) & set(FLAG_LABELS))
    annotators = frame.groupby(["source", "row_key"])["annotator"].nunique()
    shared = labels[annotators >= 2]
    return len(shared), int((shared.map(len) >= 1).sum()), int((shared.map(len) >= 2).sum())


def measure(models: list[str], corpus: Path) -> str:
    validation = pd.read_parquet(corpus / "validation.parquet")
    rows = []
    for name in models:
        model = pilkada_nlp.load_model(name)
        probabilities = member_probabilities(model, {"validation": validation})["validation"]
        two, near = second_flag_counts(probabilities, model.thresholds)
        pairwise, gold_benign = against_benign_counts(probabilities, model.thresholds, validation["label"].to_numpy())
        rows.append([name, ", ".join(f"{k} {v}" for k, v in model.thresholds.items()),
                     ", ".join(open_pairs(model.thresholds)) or "none",
                     *(f"{n} ({n / len(validation):.2%})" for n in (two, near, pairwise)), gold_benign])
    shared, flagged, both = annotation_overlap(REPO / "data" / "annotations")
    return "\n".join([
        provenance("Can flags hold two labels?"), "",
        f"Validation split: n={len(validation):,}.", "",
        table(["model", "thresholds", "pairs that can both pass", "posts with two flags",
               f"runner-up flag within {NEAR} of its threshold", "two flags, each label against benign alone",
               "of them gold benign"],
              rows), "",
        (f"Annotations (data/annotations): {shared:,} posts labelled by two or more annotators, {flagged} of them "
         f"given a flag label by someone, {both} given two different flag labels. The multi-label public sources "
         "(ibrohim_multilabel_hs, netifier_toxicity) are multi-label only within hate and abuse: none marks a post "
         "as both hoax and hate, or hate and a campaign violation."), ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=None, help="repeatable (default: all three shipped)")
    parser.add_argument("--corpus", type=Path, default=REPO / "data" / "processed")
    args = parser.parse_args(argv)
    print(measure(args.model or ["default", "transformer", "ensemble"], args.corpus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
