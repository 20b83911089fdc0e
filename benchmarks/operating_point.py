"""Models compared at the same false-flag rate: what each catches when it may flag no more benign posts than the
reference model does.

    python benchmarks/operating_point.py                               # ensemble vs the default, data/processed
    python benchmarks/operating_point.py --model transformer --reference default

Patrol teams judge a model by its false flags, and macro-F1 at each model's own thresholds mixes two things: how well
the model ranks posts, and where its thresholds sit. Here every model's thresholds are raised together by the
smallest step that brings its **validation** false-flag rate down to the reference's; test is then scored once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pilkada_nlp
from benchmarks.common import provenance, table
from training.ensemble import member_probabilities
from training.evaluate import flag_metrics, label_metrics
from training.train_linear import decide

STEPS = np.round(np.arange(0.0, 0.5, 0.005), 3)


def matched_shift(p_val: np.ndarray, y_val: np.ndarray, thresholds: dict[str, float], target: float) -> float:
    """The smallest shift of every threshold that brings the validation false-flag rate to ``target`` or below."""
    for step in STEPS:
        shifted = {label: min(t + step, 0.999) for label, t in thresholds.items()}
        if flag_metrics(y_val, decide(p_val, shifted))["false_flag_rate"] <= target:
            return float(step)
    return float(STEPS[-1])


def measure(models: list[str], reference: str, corpus: Path) -> str:
    validation, test = (pd.read_parquet(corpus / f"{split}.parquet") for split in ("validation", "test"))
    y_val, y_test = validation["label"].to_numpy(), test["label"].to_numpy()
    rows, target = [], None
    for name in [reference, *models]:
        model = pilkada_nlp.load_model(name)
        scored = member_probabilities(model, {"validation": validation, "test": test})
        p_val, p_test = scored["validation"], scored["test"]
        if target is None:  # the reference, at its own thresholds
            target = flag_metrics(y_val, decide(p_val, model.thresholds))["false_flag_rate"]
        step = matched_shift(p_val, y_val, model.thresholds, target)
        thresholds = {label: min(t + step, 0.999) for label, t in model.thresholds.items()}
        predicted = decide(p_test, thresholds)
        flags = flag_metrics(y_test, predicted)
        rows.append([name, f"+{step:.3f}", ", ".join(f"{k} {v:.3f}" for k, v in thresholds.items()),
                     f"{flags['false_flag_rate']:.4f}", f"{flags['flag_recall']:.4f}",
                     f"{label_metrics(y_test, predicted)['macro_f1']:.4f}"])
    return "\n".join([
        provenance("Same false-flag rate: what each model catches"), "",
        f"Target: validation false-flag rate ≤ {target} (the `{reference}` model's, at its own thresholds).", "",
        table(["model", "threshold shift", "thresholds", "test false-flag rate", "test flag recall", "test macro-F1"],
              rows), ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=None, help="repeatable (default: ensemble)")
    parser.add_argument("--reference", default="default", help="model whose validation false-flag rate is matched")
    parser.add_argument("--corpus", type=Path, default=REPO / "data" / "processed")
    args = parser.parse_args(argv)
    print(measure(args.model or ["ensemble"], args.reference, args.corpus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
