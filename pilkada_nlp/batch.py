"""Scoring tables: a DataFrame column or a CSV file in, the same rows out with scores appended.

Rows that can't be scored (missing, NaN, not text) are kept and get an ``error`` message; output rows equal input
rows, in the same order.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import Classifier, load_model
from pilkada_nlp.predictions import to_frame

OUTPUT_COLUMNS = ["label", "score", *(f"score_{label}" for label in LABELS), "flags", "warning", "error"]


def _row_error(value: object) -> str | None:
    if isinstance(value, str):
        return None
    if value is None or (isinstance(value, float) and value != value):
        return "missing text"
    return f"not text: {type(value).__name__}"


def score_dataframe(
    df: pd.DataFrame, text_column: str, *, model: Classifier | str | Path | None = None
) -> pd.DataFrame:
    """Return ``df`` with the prediction columns appended (see :data:`OUTPUT_COLUMNS`); the index is kept."""
    if text_column not in df.columns:
        raise KeyError(f"text column {text_column!r} not found; columns are: {', '.join(map(str, df.columns))}")
    classifier = model if isinstance(model, Classifier) else load_model(model)
    errors = [_row_error(value) for value in df[text_column]]
    ok = [i for i, error in enumerate(errors) if error is None]
    scored = to_frame(classifier.classify([df[text_column].iat[i] for i in ok])) if ok else pd.DataFrame()
    out = pd.DataFrame(index=range(len(df)), columns=OUTPUT_COLUMNS[:-1], dtype=object)
    if ok:
        out.iloc[ok] = scored[OUTPUT_COLUMNS[:-1]].to_numpy(dtype=object)
    out["error"] = errors
    out.index = df.index
    clashes = [c for c in OUTPUT_COLUMNS if c in df.columns]
    return pd.concat([df.drop(columns=clashes), out], axis=1)


def score_file(src: str | Path, dst: str | Path, *, text_column: str, model: Classifier | str | Path | None = None) -> int:
    """Score a CSV file into another CSV file; returns the number of rows written."""
    src = Path(src)
    if not src.is_file():
        raise FileNotFoundError(f"input file not found: {src}")
    try:
        df = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise ValueError(f"input file is empty: {src}") from None
    scored = score_dataframe(df, text_column, model=model)
    scored.to_csv(dst, index=False)
    return len(scored)
