"""Build an ensemble model: the weighted mean of other models' calibrated probabilities, thresholds tuned on
validation.

    python -m training.ensemble --members default transformer --out pilkada_nlp/models/ensemble

Members are shipped model names or model directories, all trained on the same corpus (``--corpus``). Each member
keeps its own calibration; only the ensemble's flag thresholds are fitted, on the validation split, with the linear
trainer's coordinate search (with ``--max-real-false-flag-rate``, under the linear trainer's cap on false flags
among ordinary social-media validation posts). Test, real_test and the held-out pool are scored once, at the end.
The written directory holds just a ``model.json`` (see :mod:`pilkada_nlp.backends.ensemble`); ``load_model`` reads
it like any other model.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

import pilkada_nlp
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import available_models, resolve
from pilkada_nlp.models.manifest import model_identity, write_manifest
from training.evaluate import bootstrap_difference, split_metrics
from training.train_linear import decide, read_split, tune_capped_thresholds, tune_thresholds

SCORED_SPLITS = ("validation", "test", "real_test", "heldout_pool")


def member_probabilities(model, splits: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """A member's calibrated probabilities per split, columns in ``LABELS`` order."""
    order = [model.labels.index(label) for label in LABELS]
    return {name: model.predict_proba(list(frame["text"]))[:, order] for name, frame in splits.items()}


def fit_ensemble(splits: dict[str, pd.DataFrame], probabilities: list[dict[str, np.ndarray]],
                 weights: list[float], majority: str, max_real_false_flag_rate: float | None = None) -> dict:
    """Mix the members' probabilities, tune thresholds on validation, score every split.

    With ``max_real_false_flag_rate`` the thresholds are tuned as the linear trainer's are (at most that share of
    ordinary social-media benign validation posts flagged, minimum-evidence rule applied) and the metrics apply the
    evidence rule too; without it, as the shipped ``ensemble`` was built.
    Returns ``thresholds``, the mixed ``probabilities`` and ``metrics`` per split.
    """
    total = float(sum(weights))
    mixed = {name: sum(w * p[name] for w, p in zip(weights, probabilities)) / total for name in splits}
    validation = splits["validation"]
    if max_real_false_flag_rate is None:
        thresholds = tune_thresholds(mixed["validation"], validation["label"].to_numpy())
        texts = {name: None for name in splits}
    else:
        thresholds = tune_capped_thresholds(mixed["validation"], validation, max_real_false_flag_rate)
        texts = {name: list(frame["text"]) for name, frame in splits.items()}
    metrics = {name: split_metrics(frame, decide(mixed[name], thresholds, texts[name]), majority)
               for name, frame in splits.items()}
    return {"thresholds": thresholds, "probabilities": mixed, "metrics": metrics}


def member_reference(member: str, out: Path) -> str:
    """How the manifest names a member: its shipped name, or its directory relative to the ensemble's."""
    if "/" not in member and member in available_models():
        return member
    return os.path.relpath(resolve(member), out.resolve())


def build(members: list[str], weights: list[float], corpus: Path, out: Path, name: str,
          max_real_false_flag_rate: float | None = None) -> dict:
    """Score, tune, and write the ensemble's ``model.json``; returns the manifest."""
    splits = {split: read_split(corpus, split) for split in SCORED_SPLITS if (corpus / f"{split}.parquet").is_file()}
    models = [pilkada_nlp.load_model(member) for member in members]
    probabilities = []
    for member, model in zip(members, models):
        print(f"scoring {member} on {', '.join(f'{s} ({len(f)})' for s, f in splits.items())}", flush=True)
        probabilities.append(member_probabilities(model, splits))
    majority = read_split(corpus, "train")["label"].mode()[0]
    result = fit_ensemble(splits, probabilities, weights, majority, max_real_false_flag_rate)
    for split, m in result["metrics"].items():
        print(f"{split}: macro-F1 {m['macro_f1']}, flags {m['flags']}", flush=True)
    against_members = {}
    texts = {split: list(splits[split]["text"]) if max_real_false_flag_rate is not None else None
             for split in ("test", "real_test")}
    for member, model, member_p in zip(members, models, probabilities):
        against_members[member] = {
            split: bootstrap_difference(splits[split]["label"],
                                        decide(result["probabilities"][split], result["thresholds"], texts[split]),
                                        decide(member_p[split], model.thresholds, texts[split]))
            for split in ("test", "real_test")
        }
        print(f"ensemble minus {member} (macro-F1, paired bootstrap 95% interval): {against_members[member]}")

    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": name,
        "version": pilkada_nlp.__version__,
        "backend": "ensemble",
        "labels": list(LABELS),
        "normalizer_version": "per-member",  # the ensemble reads raw text; each member normalises its own way
        "temperature": 1.0,
        "thresholds": result["thresholds"],
        "batch_size": min(int(m.metadata.get("batch_size", 2048)) for m in models),
        "members": [{"model": member_reference(member, out), "weight": weight,
                     "identity": model_identity(model.metadata)}
                    for member, weight, model in zip(members, weights, models)],
        "training_data": models[0].metadata.get("training_data", {}),
        "max_real_false_flag_rate": max_real_false_flag_rate,
        "metrics": result["metrics"],
        "against_members": against_members,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return write_manifest(out, manifest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", nargs="+", required=True, help="shipped model names or model directories")
    parser.add_argument("--weights", nargs="+", type=float, default=None, help="one per member (default: equal)")
    parser.add_argument("--corpus", default="data/processed", help="the corpus the members were trained on")
    parser.add_argument("--out", required=True, help="ensemble directory to write")
    parser.add_argument("--name", default="ensemble")
    parser.add_argument("--max-real-false-flag-rate", type=float, default=None,
                        help="tune thresholds as the linear trainer does, under this false-flag cap (default: uncapped, "
                             "as the shipped ensemble)")
    args = parser.parse_args(argv)
    weights = args.weights or [1.0] * len(args.members)
    if len(weights) != len(args.members):
        parser.error("give one weight per member")
    manifest = build(args.members, weights, Path(args.corpus), Path(args.out), args.name,
                     args.max_real_false_flag_rate)
    print(json.dumps({split: metrics["macro_f1"] for split, metrics in manifest["metrics"].items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
