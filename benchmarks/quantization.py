"""Accuracy cost of ``quantize="int8"``: each model with a transformer in it, scored on the held-out splits in int8
with its float32 thresholds, beside the float32 numbers stored in its manifest.

    python benchmarks/quantization.py                       # shipped transformer and ensemble, data/processed
    python benchmarks/quantization.py --model DIR --corpus data/processed
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pilkada_nlp
from benchmarks.common import provenance, table
from training.evaluate import flag_metrics, label_metrics


def measure(models: list[str], corpus: Path, splits: tuple[str, ...]) -> str:
    rows = []
    for name in models:
        stored = pilkada_nlp.load_model(name).metadata["metrics"]
        int8 = pilkada_nlp.load_model(name, quantize="int8")
        for split in splits:
            frame = pd.read_parquet(corpus / f"{split}.parquet")
            predicted = int8.predict(frame["text"].tolist())
            flags, before = flag_metrics(frame["label"], predicted), stored[split]
            rows.append([name, split, f"{before['macro_f1']:.4f} → {label_metrics(frame['label'], predicted)['macro_f1']:.4f}",
                         f"{before['flags']['false_flag_rate']} → {flags['false_flag_rate']}",
                         f"{before['flags']['flag_recall']} → {flags['flag_recall']}"])
    return "\n".join([provenance("int8 quantisation: accuracy"), "",
                      table(["model", "split", "macro-F1 fp32 → int8", "false-flag rate", "flag recall"], rows), ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=None, help="repeatable (default: transformer, ensemble)")
    parser.add_argument("--corpus", type=Path, default=REPO / "data" / "processed")
    parser.add_argument("--splits", nargs="+", default=["test", "real_test"])
    args = parser.parse_args(argv)
    print(measure(args.model or ["transformer", "ensemble"], args.corpus, tuple(args.splits)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
