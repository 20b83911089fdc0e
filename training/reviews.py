"""Add a filled-in review file (``pilkada-nlp review-import``) to this project's labelled data, so the next ``train``
uses it.

Where a reviewed post goes depends on whether the corpus builder can find its text again:

* a post from a shared-dataset **pool** (:data:`training.sources.POOL_SOURCES`): its text is licensed and stays out of
  the repository, so only a stand-off label is appended to ``data/annotations/reviewed.csv`` (columns of
  :data:`training.project_data.ANNOTATION_COLUMNS`; ``row_key`` = :func:`training.sources.common.row_key` of the raw
  text; ``pass`` = ``review``, so an existing pass-1 or adjudicated label of the same post still wins), joined to its
  text at build time like every other annotation;
* **any other post** (the user's own monitoring exports, which no pool holds): it is stored with its text in
  ``data/reviewed/posts.csv`` in the authored-posts layout (``id,text,label,subtype,register,author`` plus
  ``source,selection,uncertain``), ``author`` = ``reviewed:<annotator>``, and read by
  :func:`training.project_data.load_reviewed` as hand-labelled real posts. Handles and links are masked on the way in
  (personal data); import only posts you may keep in the repository.

Imports are idempotent: a label already stored for the same post and annotator is not added twice.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pilkada_nlp.io import csv_text
from pilkada_nlp.review import read_review
from training.project_data import ANNOTATION_COLUMNS, ANNOTATIONS_DIR, REVIEWED_DIR, AnnotationError
from training.sources import LOADERS, POOL_SOURCES
from training.sources.common import mask_identifiers, row_key

ANNOTATIONS_FILE = "reviewed.csv"
POSTS_FILE = "posts.csv"
POST_COLUMNS = ["id", "text", "label", "subtype", "register", "author", "source", "selection", "uncertain"]
REVIEW_PASS = "review"


def _append(path: Path, rows: pd.DataFrame, key: list[str]) -> int:
    """Append the ``rows`` whose ``key`` isn't in ``path`` yet (creating it with a header); return how many."""
    if path.is_file():
        existing = pd.read_csv(path, dtype=str, keep_default_na=False)
        seen = set(existing[key].itertuples(index=False, name=None))
        rows = rows[[tuple(r) not in seen for r in rows[key].itertuples(index=False, name=None)]]
    rows = rows.drop_duplicates(key)
    if len(rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", newline="") as handle:  # csv_text quotes fields holding \r
            handle.write(csv_text(rows, header=handle.tell() == 0))
    return len(rows)


def check_pool_keys(rows: pd.DataFrame, data_dir: Path) -> None:
    """Raise :class:`AnnotationError` when a pool row's key matches no row of its pool in ``data_dir``."""
    for source, group in rows.groupby("source"):
        keys = set(LOADERS[source](data_dir)["row_key"])
        unknown = sorted(set(group["row_key"]) - keys)
        if unknown:
            raise AnnotationError(
                f"{len(unknown)} {source} rows match no post of that pool (e.g. {', '.join(unknown[:3])}); "
                "was the text edited? Row keys are sha1 of the raw text"
            )


def import_review(
    path: str | Path,
    *,
    annotator: str | None = None,
    annotations_dir: Path = ANNOTATIONS_DIR,
    reviewed_dir: Path = REVIEWED_DIR,
    data_dir: Path | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Validate ``path`` and store its reviewed rows (see the module docstring); return counts of what happened.

    With ``data_dir`` (the shared datasets), pool rows are checked to exist there first. ``dry_run`` validates only.
    Raises :class:`pilkada_nlp.review.ReviewFileError` or :class:`AnnotationError` with one-line messages.
    """
    reviewed, pending = read_review(path, annotator=annotator)
    if reviewed.empty:  # a header-only file, or nothing reviewed yet: nothing to store (and no typed columns to use)
        return {"reviewed": 0, "pending": pending, "pool_labels": 0, "own_posts": 0}
    keys = [k or row_key(t) for k, t in zip(reviewed["row_key"], reviewed["text"])]
    reviewed = reviewed.assign(row_key=keys)
    pool = reviewed[reviewed["source"].isin(POOL_SOURCES)]
    own = reviewed[~reviewed["source"].isin(POOL_SOURCES)]
    missing_text = own[own["text"] == ""]
    if len(missing_text):
        raise AnnotationError(f"{len(missing_text)} reviewed rows of non-pool sources have no text "
                              f"(e.g. {missing_text['review_id'].iloc[0]}); their text is needed to train on them")
    if data_dir is not None and Path(data_dir).is_dir() and len(pool):
        check_pool_keys(pool, Path(data_dir))
    counts = {"reviewed": len(reviewed), "pending": pending, "pool_labels": 0, "own_posts": 0}
    if dry_run:
        return counts
    annotations = pd.DataFrame({
        "source": pool["source"], "row_key": pool["row_key"], "label": pool["label"], "subtype": pool["subtype"],
        "annotator": pool["annotator"], "pass": REVIEW_PASS, "selection": "review-" + pool["selection"],
        "uncertain": pool["uncertain"].map(str),
    }, columns=ANNOTATION_COLUMNS)
    counts["pool_labels"] = _append(annotations_dir / ANNOTATIONS_FILE, annotations,
                                    ["source", "row_key", "annotator", "pass"])
    posts = pd.DataFrame({
        "id": "rv-" + own["row_key"], "text": own["text"].map(mask_identifiers), "label": own["label"],
        "subtype": own["subtype"], "register": "", "author": "reviewed:" + own["annotator"], "source": own["source"],
        "selection": "review-" + own["selection"], "uncertain": own["uncertain"].map(str),
    }, columns=POST_COLUMNS)
    counts["own_posts"] = _append(reviewed_dir / POSTS_FILE, posts, ["id", "author"])
    return counts
