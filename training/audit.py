"""Shortcut checks for the corpus: can a label be predicted from things that are not the post's meaning?

* source only: a classifier that sees just the source name;
* surface only: length, punctuation, capitals, digits, emoji, links and mentions;
* authored vs real: can surface features tell this project's authored posts from real annotated posts?

High numbers mean a model could learn the shortcut instead of the content. They are written to ``corpus_stats.json``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.preprocessing import OneHotEncoder

_EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]")


def surface_features(texts: pd.Series) -> np.ndarray:
    """Per-text style statistics that carry no meaning of their own."""
    t = texts.astype(str)
    length = t.str.len().clip(lower=1)
    return np.column_stack([
        np.log1p(length), np.log1p(t.str.split().str.len()),
        t.str.count(r"[A-Z]") / length, t.str.count(r"[0-9]") / length, t.str.count(r"[^\w\s]") / length,
        t.str.count(r"!"), t.str.count(r"\?"), t.str.count(r"#"), t.str.count(r"@"),
        t.str.count(r"https?://|httpurl|URL"), t.map(lambda s: len(_EMOJI.findall(s))),
        t.str.count("\n"), (t.str.upper() == t).astype(float),
    ])


def source_only_macro_f1(train: pd.DataFrame, test: pd.DataFrame) -> float:
    """Macro-F1 on ``test`` of a classifier that sees only the source name (fit on ``train``)."""
    encoder = OneHotEncoder(handle_unknown="ignore")
    model = LogisticRegression(max_iter=1000, class_weight="balanced")
    model.fit(encoder.fit_transform(train[["source"]]), train["label"])
    return float(f1_score(test["label"], model.predict(encoder.transform(test[["source"]])), average="macro"))


def surface_only_macro_f1(train: pd.DataFrame, test: pd.DataFrame) -> float:
    """Macro-F1 on ``test`` of gradient boosting on surface statistics only (fit on ``train``)."""
    model = HistGradientBoostingClassifier(max_iter=200, random_state=0, class_weight="balanced")
    model.fit(surface_features(train["raw_text"]), train["label"])
    return float(f1_score(test["label"], model.predict(surface_features(test["raw_text"])), average="macro"))


def _authored_probability(authored: pd.Series, real: pd.Series, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold P(authored | surface features) for authored then real texts, and the 0/1 truth."""
    texts = pd.concat([authored, real], ignore_index=True)
    y = np.r_[np.ones(len(authored)), np.zeros(len(real))]
    model = HistGradientBoostingClassifier(max_iter=200, random_state=seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return cross_val_predict(model, surface_features(texts), y, cv=folds, method="predict_proba")[:, 1], y


def authored_vs_real_auc(authored: pd.Series, real: pd.Series, seed: int = 0) -> float:
    """Cross-validated ROC AUC of telling authored from real posts by surface features (0.5 = indistinguishable)."""
    scores, y = _authored_probability(authored, real, seed)
    return float(roc_auc_score(y, scores))


#: Smallest weight an authored post keeps: even one that looks nothing like a real post still teaches its label.
MIN_AUTHORED_WEIGHT = 0.02


def authored_weights(authored: pd.Series, real: pd.Series, seed: int = 0) -> tuple[np.ndarray, float]:
    """Importance weights for authored posts, and the authored-vs-real AUC once they are applied.

    Weight = P(real | surface) / P(authored | surface) × n_authored / n_real (the density ratio that makes the
    weighted authored posts look like the real ones to the surface classifier), clipped to
    [:data:`MIN_AUTHORED_WEIGHT`, 1]: posts whose surface is typical of real posts keep full weight, posts that only
    an author would write count less. The weighted AUC re-weights the same out-of-fold scores the weights come from,
    so it is an optimistic view of how much surface signal is left for a model to learn, not a fresh measurement.
    """
    scores, y = _authored_probability(authored, real, seed)
    p = np.clip(scores[: len(authored)], 1e-4, 1 - 1e-4)
    weights = np.clip((1 - p) / p * len(authored) / len(real), MIN_AUTHORED_WEIGHT, 1.0)
    weighted_auc = roc_auc_score(y, scores, sample_weight=np.r_[weights, np.ones(len(real))])
    return weights, float(weighted_auc)
