"""Inter-annotator agreement from the committed stand-off labels (no texts needed).

    python -m training.agreement

Cohen's kappa between pass 1 and pass 2 on every double-annotated post, overall and per selection, plus how many
disagreements were adjudicated.
"""

from __future__ import annotations

import argparse
import json

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from training.project_data import read_annotations


def agreement(annotations: pd.DataFrame) -> dict:
    first = annotations[annotations["pass"] == "1"].drop_duplicates(["source", "row_key"])
    second = annotations[annotations["pass"] == "2"].drop_duplicates(["source", "row_key"])
    pairs = first.merge(second, on=["source", "row_key", "selection"], suffixes=("_1", "_2"))
    adjudicated = annotations[annotations["pass"] == "adjudicated"]

    def kappa(part: pd.DataFrame) -> dict:
        flags_1, flags_2 = part["label_1"] != "benign", part["label_2"] != "benign"
        return {
            "n": len(part),
            "kappa_4_labels": round(float(cohen_kappa_score(part["label_1"], part["label_2"])), 4),
            "kappa_flag_vs_benign": round(float(cohen_kappa_score(flags_1, flags_2)), 4),
            "raw_agreement": round(float((part["label_1"] == part["label_2"]).mean()), 4),
            "disagreements": int((part["label_1"] != part["label_2"]).sum()),
        }

    return {
        "overall": kappa(pairs),
        "by_selection": {selection: kappa(part) for selection, part in pairs.groupby("selection")},
        "adjudicated": len(adjudicated),
        "confusion": pd.crosstab(pairs["label_1"], pairs["label_2"]).to_dict(),
    }


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[-1].strip()  # the docstring's last paragraph: what it computes
    argparse.ArgumentParser(prog="python -m training.agreement", description=description).parse_args(argv)  # --help
    print(json.dumps(agreement(read_annotations()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
