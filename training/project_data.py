"""This project's own labelled data: authored posts (``data/authored/``) and stand-off labels of real pool posts
(``data/annotations/``), joined to their texts at build time.

The real posts are licensed and cannot be committed, so ``data/annotations/*.csv`` holds only
``source, row_key, label, subtype, annotator, pass, selection, uncertain``; :func:`join_annotations` finds the texts
by ``(source, row_key)`` in the pools read by ``training.sources`` and fails loudly on any key it cannot resolve.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pilkada_nlp.labels import LABELS
from training.sources import POOL_SOURCES
from training.sources.common import COLUMNS, clean_text

REPO = Path(__file__).resolve().parents[1]
AUTHORED_DIR = REPO / "data" / "authored"
ANNOTATIONS_DIR = REPO / "data" / "annotations"
#: Reviewed posts that no shared pool holds (``pilkada-nlp review-import``), stored with their text.
REVIEWED_DIR = REPO / "data" / "reviewed"
ANNOTATION_COLUMNS = ["source", "row_key", "label", "subtype", "annotator", "pass", "selection", "uncertain"]
#: When a post has several passes, the final label comes from the first pass kind found in this order.
PASS_PRIORITY = ("adjudicated", "1", "2")


class AnnotationError(ValueError):
    """Stand-off annotations that are malformed or point at rows that don't exist."""


def load_authored(directory: Path = AUTHORED_DIR) -> pd.DataFrame:
    """All authored posts, in loader format, with source ``authored`` and the file stem kept in ``origin``.

    Texts go through the same ``clean_text`` as the shared sources (masked links and handles), so that the two differ
    in content, not in preprocessing.
    """
    frames = []
    for path in sorted(directory.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = {"id", "text", "label", "subtype"} - set(frame.columns)
        if missing:
            raise AnnotationError(f"{path}: missing columns {sorted(missing)}")
        bad = sorted(set(frame["label"]) - set(LABELS))
        if bad:
            raise AnnotationError(f"{path}: unknown labels {bad}")
        frames.append(
            pd.DataFrame(
                {"text": frame["text"].map(clean_text), "label": frame["label"], "source": "authored", "row_key": frame["id"],
                 "subtype": frame["subtype"].replace("", None), "origin": path.stem}
            )
        )
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "origin"])
    return pd.concat(frames, ignore_index=True)


def load_reviewed(directory: Path = REVIEWED_DIR) -> pd.DataFrame:
    """Reviewed posts of the user's own data (see :mod:`training.reviews`), in loader format.

    They are real posts labelled by a person, so they count as annotated (origin ``annotated:review``), not authored:
    the corpus builder neither caps them nor rewrites their surface.
    """
    if not directory.is_dir():
        return pd.DataFrame(columns=[*COLUMNS, "origin"])
    return load_authored(directory).assign(source="reviewed", origin="annotated:review")


def read_annotations(directory: Path = ANNOTATIONS_DIR) -> pd.DataFrame:
    """All stand-off label rows (every pass), validated."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(directory.glob("*.csv"))]
    if not frames:
        return pd.DataFrame(columns=ANNOTATION_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    missing = set(ANNOTATION_COLUMNS) - set(table.columns)
    if missing:
        raise AnnotationError(f"annotation files in {directory} miss columns {sorted(missing)}")
    bad = sorted(set(table["label"]) - set(LABELS))
    if bad:
        raise AnnotationError(f"annotation files in {directory} hold unknown labels {bad}")
    return table[ANNOTATION_COLUMNS]


def final_labels(annotations: pd.DataFrame) -> pd.DataFrame:
    """One row per ``(source, row_key)``: the adjudicated label if any, else the first pass."""
    rank = annotations["pass"].map({p: i for i, p in enumerate(PASS_PRIORITY)}).fillna(len(PASS_PRIORITY))
    ordered = annotations.assign(_rank=rank).sort_values(["source", "row_key", "_rank"], kind="stable")
    return ordered.drop_duplicates(["source", "row_key"]).drop(columns="_rank").reset_index(drop=True)


def join_annotations(annotations: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    """Attach texts from ``pools`` (loader frames of the pool sources) to final labels; raise on unresolved keys."""
    final = final_labels(annotations)
    texts = pools.drop_duplicates(["source", "row_key"])[["source", "row_key", "text"]]
    joined = final.merge(texts, on=["source", "row_key"], how="left", validate="one_to_one")
    unresolved = joined[joined["text"].isna()]
    if len(unresolved):
        examples = ", ".join(f"{s}:{k}" for s, k in unresolved[["source", "row_key"]].head(5).itertuples(index=False))
        raise AnnotationError(
            f"{len(unresolved)} annotation keys match no pool row (e.g. {examples}); is --data-dir right, "
            "or did a loader change how it reads text? Row keys are sha1 of the raw text."
        )
    # Pool posts are the deployment domain ("annotated"); public posts relabelled with the guidelines are not election
    # posts, so they keep their own origin and get none of the weight or roles of real election posts.
    kind = np.where(joined["source"].isin(POOL_SOURCES), "annotated:", "relabelled:")
    return joined.assign(origin=kind + joined["selection"])
