"""Inter-annotator agreement from the committed stand-off labels (no texts needed).

    python -m training.agreement

Cohen's kappa between pass 1 and pass 2 on every double-annotated post, overall, per selection and per source, plus
how many disagreements were adjudicated. With ``--mapped FILE`` (the key file that ``training.select_relabel``
writes beside the relabelled texts: ``source, row_key, mapped_label``) it also says how often each public source's
label mapping agrees with the guideline label.
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

    def cohen(a: pd.Series, b: pd.Series) -> float | None:
        """Kappa, or None when it is undefined (both passes gave one and the same label to every post)."""
        return round(float(cohen_kappa_score(a, b)), 4) if pd.concat([a, b]).nunique() > 1 else None

    def kappa(part: pd.DataFrame) -> dict:
        flags_1, flags_2 = part["label_1"] != "benign", part["label_2"] != "benign"
        return {
            "n": len(part),
            "kappa_4_labels": cohen(part["label_1"], part["label_2"]),
            "kappa_flag_vs_benign": cohen(flags_1, flags_2),
            "raw_agreement": round(float((part["label_1"] == part["label_2"]).mean()), 4),
            "disagreements": int((part["label_1"] != part["label_2"]).sum()),
        }

    return {
        "overall": kappa(pairs),
        "by_selection": {selection: kappa(part) for selection, part in pairs.groupby("selection")},
        "by_source": {source: kappa(part) for source, part in pairs.groupby("source")},
        "adjudicated": len(adjudicated),
        "confusion": pd.crosstab(pairs["label_1"], pairs["label_2"]).to_dict(),
    }


def mapping_agreement(annotations: pd.DataFrame, mapped: pd.DataFrame) -> dict:
    """Per public source and mapped label: how many relabelled posts the guideline (final label) puts in each label."""
    from training.project_data import final_labels

    final = final_labels(annotations[annotations["selection"] == "public_relabel"])
    joined = final.merge(mapped, on=["source", "row_key"], how="inner")
    return {
        source: {mapped_label: group["label"].value_counts().to_dict()
                 for mapped_label, group in part.groupby("mapped_label")}
        for source, part in joined.groupby("source")
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mapped", help="source,row_key,mapped_label of the relabelled public posts")
    args = parser.parse_args(argv)
    annotations = read_annotations()
    report = agreement(annotations)
    if args.mapped:
        report["mapping_vs_guidelines"] = mapping_agreement(annotations, pd.read_csv(args.mapped, dtype=str))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
