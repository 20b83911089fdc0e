"""Metrics used everywhere a model is judged: per-label P/R/F1, macro-F1, confusion matrix, false-flag rate.

Kept in one place so the trainer, the model card, the benchmarks and the quality-floor test compute them the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from pilkada_nlp.labels import BENIGN, LABELS


def label_metrics(y_true, y_pred) -> dict:
    """Macro-F1 over the 4 labels, per-label precision/recall/F1/support, and the confusion matrix (rows = truth)."""
    y_true, y_pred = list(y_true), list(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(LABELS), zero_division=0
    )
    per_label = {
        label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4), "support": int(s)}
        for label, p, r, f, s in zip(LABELS, precision, recall, f1, support)
    }
    present = [label for label in LABELS if per_label[label]["support"] > 0]
    return {
        "n": len(y_true),
        "macro_f1": round(float(np.mean([per_label[label]["f1"] for label in present])), 4) if present else None,
        "accuracy": round(float(np.mean(np.array(y_true) == np.array(y_pred))), 4) if y_true else None,
        "per_label": per_label,
        "confusion_matrix": {"labels": list(LABELS), "matrix": confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist()},
    }


def flag_metrics(y_true, y_pred) -> dict:
    """What a patrol team feels: the share of benign posts flagged, and the share of non-benign posts flagged at all."""
    y_true, y_pred = np.asarray(list(y_true)), np.asarray(list(y_pred))
    benign, flagged = y_true == BENIGN, y_pred != BENIGN
    return {
        "benign_n": int(benign.sum()),
        "false_flag_rate": round(float(flagged[benign].mean()), 4) if benign.any() else None,
        "non_benign_n": int((~benign).sum()),
        "flag_recall": round(float(flagged[~benign].mean()), 4) if (~benign).any() else None,
        "exact_label_recall": round(float((y_pred == y_true)[~benign].mean()), 4) if (~benign).any() else None,
    }


def by_group(frame: pd.DataFrame, column: str, predicted: str = "predicted") -> dict:
    """Macro-F1 and accuracy per value of ``column`` (e.g. source or origin)."""
    out = {}
    for value, part in frame.groupby(column):
        metrics = label_metrics(part["label"], part[predicted])
        out[str(value)] = {"n": metrics["n"], "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
                           "labels": part["label"].value_counts().to_dict()}
    return out


def split_metrics(frame: pd.DataFrame, predicted, majority: str) -> dict:
    """The metric block every trainer stores per split: label and flag metrics, per source and origin, and the
    majority-class baseline on the same rows."""
    truth = frame["label"].to_numpy()
    scored = frame.assign(predicted=np.asarray(predicted))
    return {
        **label_metrics(truth, predicted),
        "flags": flag_metrics(truth, predicted),
        "by_source": by_group(scored, "source"),
        "by_origin": by_group(scored, "origin"),
        "baseline_majority_class": label_metrics(truth, [majority] * len(frame))["macro_f1"],
    }


def bootstrap_difference(y_true, predicted_a, predicted_b, *, resamples: int = 1000, seed: int = 0) -> dict:
    """Macro-F1 of ``a`` minus that of ``b`` on the same rows, with a paired bootstrap 95% interval.

    Rows are resampled with replacement and both systems are scored on each resample, so the interval reflects how
    much the difference depends on which posts happened to land in the split.
    """
    from sklearn.metrics import f1_score

    y_true, a, b = (np.asarray(v) for v in (y_true, predicted_a, predicted_b))

    def macro(index: np.ndarray, pred: np.ndarray) -> float:
        """Macro-F1 over the labels present in the (resampled) truth, as :func:`label_metrics` computes it."""
        present = [label for label in LABELS if (y_true[index] == label).any()]
        return f1_score(y_true[index], pred[index], labels=present, average="macro", zero_division=0)

    everything = np.arange(len(y_true))
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(resamples):
        index = rng.integers(0, len(y_true), len(y_true))
        differences.append(macro(index, a) - macro(index, b))
    low, high = np.percentile(differences, [2.5, 97.5])
    return {"difference": round(float(macro(everything, a) - macro(everything, b)), 4),
            "ci95": [round(float(low), 4), round(float(high), 4)], "resamples": resamples}


def ranking_metrics(y_true, non_benign_score) -> dict:
    """ROC AUC and average precision of "non-benign vs benign" ranked by ``non_benign_score`` (1 − P(benign)).

    Threshold-free: they say whether the model puts the posts that need action above the ones that don't, whatever
    the shipped thresholds. ``None`` when one side is empty; the counts say how much each number rests on.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    positive = np.asarray(list(y_true)) != BENIGN
    if positive.all() or not positive.any():
        return {"roc_auc": None, "average_precision": None, "positives": int(positive.sum())}
    return {"roc_auc": round(float(roc_auc_score(positive, non_benign_score)), 4),
            "average_precision": round(float(average_precision_score(positive, non_benign_score)), 4),
            "positives": int(positive.sum())}


def suite_metrics(cases: pd.DataFrame, predicted) -> dict:
    """Functional-suite results: per functionality the pass rate, then the summary the targets are stated in.

    A benign case passes when it is not flagged; a non-benign case passes when it is flagged at all (``flag_pass``)
    and, stricter, when it gets its own label (``exact_pass``). A patrol officer reviews any flag, so the targets use
    ``flag_pass``.
    """
    scored = cases.assign(predicted=np.asarray(list(predicted)))
    scored["flag_pass"] = np.where(scored["label"] == BENIGN, scored["predicted"] == BENIGN,
                                   scored["predicted"] != BENIGN)
    scored["exact_pass"] = scored["predicted"] == scored["label"]
    per = {
        name: {"label": part["label"].iloc[0], "n": len(part), "flag_pass": round(float(part["flag_pass"].mean()), 4),
               "exact_pass": round(float(part["exact_pass"].mean()), 4)}
        for name, part in scored.groupby("functionality", sort=True)
    }
    benign = scored["label"] == BENIGN
    hate = scored["label"] == "hate_speech"
    return {
        "n": len(scored),
        "benign_false_flag_rate": round(float(1 - scored.loc[benign, "flag_pass"].mean()), 4),
        "non_benign_flag_recall": round(float(scored.loc[~benign, "flag_pass"].mean()), 4),
        "non_benign_exact_recall": round(float(scored.loc[~benign, "exact_pass"].mean()), 4),
        "hate_flag_recall": round(float(scored.loc[hate, "flag_pass"].mean()), 4) if hate.any() else None,
        "macro_f1": label_metrics(scored["label"], scored["predicted"])["macro_f1"],
        "functionalities": per,
    }
