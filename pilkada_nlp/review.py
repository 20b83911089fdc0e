"""Review queues: which scored posts a person should check, and checking the labels that come back.

:func:`export_review` reads a scored file (the output of :func:`pilkada_nlp.score_file`) in chunks and picks

* the *uncertain* posts: a flag label's score within ``margin`` of its threshold, closest first; these are where the
  model's decision is most likely wrong and a label teaches it most;
* a random *audit* sample of the other scored posts (seeded): an unbiased check of how well the model does overall.

It writes them with an empty ``gold_label`` column (and ``gold_subtype``, ``uncertain``, ``annotator``, ``notes``) for a
person to fill in. :func:`read_review` validates a filled-in file; ``pilkada-nlp review-import`` (in a repository
checkout: :mod:`training.reviews`) then adds the labels to the project's data for the next ``train``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from pilkada_nlp import io
from pilkada_nlp.labels import FLAG_LABELS, LABEL_INFO, LABELS
from pilkada_nlp.models import Classifier, load_model

SCORE_COLUMNS = [f"score_{label}" for label in LABELS]
#: Columns a person fills in.
GOLD_COLUMNS = ["gold_label", "gold_subtype", "uncertain", "annotator", "notes"]
DEFAULT_SOURCE = "user"
#: Accepted spellings of each label in ``gold_label`` (ids and Indonesian names, any case).
_LABEL_NAMES = {
    **{label: label for label in LABELS},
    **{info.indonesian: label for label, info in LABEL_INFO.items()},
    **{label.replace("_", " "): label for label in LABELS},
}
_TRUE, _FALSE = {"true", "yes", "ya", "1", "y"}, {"false", "no", "tidak", "0", "n", ""}


class ReviewFileError(ValueError):
    """A review file that can't be used: missing columns, unknown labels, missing or repeated ids."""


def _filled(value: object) -> str:
    """A cell as stripped text; empty for missing values."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _records(chunk: pd.DataFrame, picked: np.ndarray, extra: dict[str, np.ndarray], columns: list[str]) -> list[dict]:
    rows = chunk.iloc[picked]
    records = rows[columns].to_dict("records")
    for record, i in zip(records, picked):
        record.update({name: values[i] for name, values in extra.items()})
    return records


def select_for_review(
    src: str | Path,
    *,
    text_column: str = "text",
    thresholds: dict[str, float],
    n_uncertain: int = 100,
    n_audit: int = 50,
    margin: float = 0.1,
    seed: int = 0,
    id_column: str | None = None,
    chunksize: int = 50_000,
    sheet: str | None = None,
) -> pd.DataFrame:
    """The rows of scored file ``src`` to review (see the module docstring): uncertain ones first, then the audit.

    Memory stays flat: only the best candidates so far are kept while the file streams. Rows with an ``error`` are
    never picked.
    """
    table = io.open_table(src, sheet=sheet)
    keep = list(dict.fromkeys(c for c in (id_column, "source", "row_key") if c and c in table.columns))
    if id_column and id_column not in table.columns:
        raise ReviewFileError(f"id column {id_column!r} not found; the columns are: {', '.join(table.columns)}")
    needed = [text_column, "label", "score", "flags", "error", *SCORE_COLUMNS]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ReviewFileError(f"{src} is not a scored file (missing columns {', '.join(missing)}); "
                              "run `pilkada-nlp score` on it first")
    rng = np.random.default_rng(seed)
    flag_labels = [label for label in FLAG_LABELS if label in thresholds]
    uncertain: list[dict] = []
    audit: list[dict] = []
    offset = 0
    for chunk in table.chunks(chunksize):
        keys = rng.random(len(chunk))  # drawn for every row, so the sample doesn't depend on which rows failed
        scores = chunk[SCORE_COLUMNS].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        ok = np.array([not _filled(e) for e in chunk["error"]]) & ~np.isnan(scores).any(axis=1)
        gaps = np.stack([np.abs(scores[:, LABELS.index(name)] - thresholds[name]) for name in flag_labels], axis=1)
        closest = gaps.argmin(axis=1)
        distance = gaps[np.arange(len(chunk)), closest]
        rows = np.arange(offset + 1, offset + len(chunk) + 1)  # numbered from 1, as in the score summary
        columns = [*keep, text_column, "label", "score", "flags", *SCORE_COLUMNS]
        near = np.flatnonzero(ok & (distance <= margin))
        near = near[np.argsort(distance[near], kind="stable")[:n_uncertain]]
        reasons = np.full(len(chunk), None, dtype=object)
        for i in near:
            label = flag_labels[closest[i]]
            reasons[i] = f"{label} {scores[i, LABELS.index(label)]:.3f} vs threshold {thresholds[label]:.3f}"
        uncertain += _records(chunk, near, {"row": rows, "_order": distance, "reason": reasons}, columns)
        uncertain = sorted(uncertain, key=lambda r: (r["_order"], r["row"]))[:n_uncertain]
        sample = np.flatnonzero(ok)
        sample = sample[np.argsort(keys[sample], kind="stable")[: n_audit + n_uncertain]]
        audit += _records(chunk, sample, {"row": rows, "_order": keys,
                                          "reason": np.full(len(chunk), "random audit sample", dtype=object)}, columns)
        audit = sorted(audit, key=lambda r: (r["_order"], r["row"]))[: n_audit + n_uncertain]
        offset += len(chunk)
    chosen = {r["row"] for r in uncertain}
    audit = sorted([r for r in audit if r["row"] not in chosen][:n_audit], key=lambda r: r["row"])
    return pd.DataFrame(
        [{**r, "selection": "uncertain"} for r in uncertain] + [{**r, "selection": "audit"} for r in audit],
        columns=["selection", "reason", "row", *keep, text_column, "label", "score", "flags", *SCORE_COLUMNS],
    )


def export_review(
    src: str | Path,
    dst: str | Path,
    *,
    text_column: str = "text",
    model: Classifier | str | Path | None = None,
    n_uncertain: int = 100,
    n_audit: int = 50,
    margin: float = 0.1,
    seed: int = 0,
    source: str | None = None,
    id_column: str | None = None,
    sheet: str | None = None,
    escape_formulas: bool = True,
) -> pd.DataFrame:
    """Write the review queue of scored file ``src`` to ``dst`` (``.csv``, or any format of :mod:`pilkada_nlp.io`).

    ``dst`` may not be ``src`` (:func:`pilkada_nlp.io.check_output`). ``sheet`` picks the sheet of an XLSX ``src``;
    ``escape_formulas`` is as in :func:`pilkada_nlp.score_file`.

    ``model`` is the one that scored the file: its thresholds define "uncertain". ``source`` names where the posts come
    from when the file has no ``source`` column (default ``"user"``: posts you own); ``review-import`` stores labels of
    shared-dataset pool posts stand-off and all other posts with their text. Returns the written table.
    """
    io.file_format(dst)
    io.check_output(dst, src)
    classifier = model if isinstance(model, Classifier) else load_model(model)
    picked = select_for_review(src, text_column=text_column, thresholds=classifier.thresholds,
                               n_uncertain=n_uncertain, n_audit=n_audit, margin=margin, seed=seed, id_column=id_column,
                               sheet=sheet)
    out = pd.DataFrame({"review_id": [f"r{row}" for row in picked["row"]]})
    out["selection"], out["reason"], out["row"] = picked["selection"], picked["reason"], picked["row"]
    if id_column:
        out[id_column] = picked[id_column]
    out["source"] = picked.get("source", source or DEFAULT_SOURCE)
    out["row_key"] = picked.get("row_key", "")
    out["text"] = picked[text_column].to_numpy()
    for column in ["label", "score", "flags", *SCORE_COLUMNS]:
        out[column] = picked[column].to_numpy()
    for column in GOLD_COLUMNS:
        out[column] = ""
    io.write_table(out, dst, escape_formulas=escape_formulas)
    return out


def parse_label(value: object) -> str | None:
    """The label id for a ``gold_label`` cell (ids or Indonesian names, any case); None when empty; ValueError else."""
    text = " ".join(_filled(value).lower().split())
    if not text:
        return None
    label = _LABEL_NAMES.get(text) or _LABEL_NAMES.get(text.replace(" ", "_"))
    if label is None:
        raise ValueError(f"unknown gold_label {_filled(value)!r} (expected one of {', '.join(LABELS)})")
    return label


def read_review(path: str | Path, *, annotator: str | None = None) -> tuple[pd.DataFrame, int]:
    """Validate a filled-in review file; return ``(reviewed_rows, n_pending)``.

    Rows with an empty ``gold_label`` are pending (not yet reviewed) and only counted. Every problem found is reported
    at once in one :class:`ReviewFileError`: missing columns, missing or repeated ``review_id``, unknown labels, no
    annotator (column or ``annotator``), a reviewed row with neither text nor ``row_key``.
    """
    frame = io.read_table(path)
    missing = [c for c in ("review_id", "text", "gold_label") if c not in frame.columns]
    if missing:
        raise ReviewFileError(f"{path}: not a review file (missing columns {', '.join(missing)}); "
                              "make one with `pilkada-nlp review-export`")
    problems: list[str] = []
    ids = [_filled(v) for v in frame["review_id"]]
    for number, review_id in enumerate(ids, start=1):
        if not review_id:
            problems.append(f"row {number}: missing review_id")
    repeated = pd.Series([i for i in ids if i]).value_counts()
    problems += [f"review_id {i} appears {n} times" for i, n in repeated[repeated > 1].items()]
    records = []
    pending = 0
    for number, (review_id, row) in enumerate(zip(ids, frame.to_dict("records")), start=1):
        where = f"review_id {review_id}" if review_id else f"row {number}"
        try:
            label = parse_label(row["gold_label"])
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if label is None:
            pending += 1
            continue
        who = _filled(row.get("annotator")) or (annotator or "")
        if not who:
            problems.append(f"{where}: no annotator (fill the annotator column or pass --annotator)")
        raw, key = row.get("text"), _filled(row.get("row_key"))
        text = raw if isinstance(raw, str) and raw.strip() else ""  # unstripped: pool row keys hash the raw text
        if not text and not key:
            problems.append(f"{where}: no text and no row_key")
        flag = _filled(row.get("uncertain")).lower()
        if flag not in _TRUE | _FALSE:
            problems.append(f"{where}: uncertain must be true/false, got {flag!r}")
        records.append({
            "review_id": review_id, "source": _filled(row.get("source")) or DEFAULT_SOURCE, "row_key": key,
            "text": text, "label": label, "subtype": _filled(row.get("gold_subtype")), "annotator": who,
            "selection": _filled(row.get("selection")) or "manual", "uncertain": flag in _TRUE,
        })
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise ReviewFileError(f"{path}: {len(problems)} problem(s): {shown}")
    columns = ["review_id", "source", "row_key", "text", "label", "subtype", "annotator", "selection", "uncertain"]
    return pd.DataFrame(records, columns=columns), pending
