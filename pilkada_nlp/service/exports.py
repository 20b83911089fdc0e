"""The review store as files other tools read, and Label Studio's answers back into it.

* :func:`review_file`: the ``review-export`` layout (:mod:`pilkada_nlp.review`) with ``gold_label`` and ``annotator``
  filled from the decisions, so ``pilkada-nlp review-import`` takes it as it is and the labels reach training;
* :func:`label_studio_tasks`: Label Studio task JSON, one task per post, the model's prediction as pre-annotation
  (a ``choices`` result named ``label`` on the ``text`` object; the labelling config is in the README);
* :func:`label_studio_decisions`: the decisions in a Label Studio JSON export of those tasks, checked all at once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pilkada_nlp.predictions import Prediction
from pilkada_nlp.review import GOLD_COLUMNS, SCORE_COLUMNS, parse_label

#: Names in the Label Studio labelling config: ``<Choices name="label" toName="text">`` over ``<Text name="text">``.
LS_FROM_NAME, LS_TO_NAME = "label", "text"
REVIEW_COLUMNS = ["review_id", "selection", "reason", "source", "row_key", "text", "label", "score", "flags",
                  *SCORE_COLUMNS, *GOLD_COLUMNS]


class LabelStudioError(ValueError):
    """A Label Studio export that can't be imported: not a task list, unknown posts or labels."""


def _prediction(post: dict[str, Any]) -> Prediction:
    return Prediction(post["label"], post["score"], post["scores"], tuple(filter(None, post["flags"].split(";"))))


def review_file(posts: list[dict[str, Any]]) -> pd.DataFrame:
    """Posts of :meth:`ReviewStore.posts_with_labels` as a review file; undecided posts have an empty ``gold_label``."""
    rows = []
    for post in posts:
        gold = post["gold"] or {}
        rows.append({
            **{key: post[key] for key in ("review_id", "selection", "reason", "source", "row_key", "text")},
            **_prediction(post).to_row(),
            "gold_label": gold.get("label", ""), "gold_subtype": "", "uncertain": "", "notes": "",
            "annotator": gold.get("reviewer", ""),
        })
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS)


def label_studio_tasks(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One Label Studio task per post, with the model's label as a prediction (pre-annotation)."""
    return [{
        "data": {"text": post["text"], "review_id": post["review_id"], "source": post["source"],
                 "selection": post["selection"], "reason": post["reason"]},
        "predictions": [{
            "model_version": post["model_version"], "score": post["score"],
            "result": [{"from_name": LS_FROM_NAME, "to_name": LS_TO_NAME, "type": "choices",
                        "value": {"choices": [post["label"]]}}],
        }],
    } for post in posts]


def _annotator(annotation: dict[str, Any]) -> str:
    """A readable name for Label Studio's ``completed_by`` (a user id, or a user object in older exports)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    return f"labelstudio:{who}" if who not in (None, "") else "labelstudio"


def label_studio_decisions(document: object) -> tuple[list[tuple[str, str, str]], int]:
    """``([(review_id, label, reviewer), ...], n_pending)`` from a Label Studio JSON export.

    A task's label is its last annotation that was not cancelled, and that has a ``label`` choice; tasks without
    one are pending. Label ids and Indonesian names are accepted (:func:`pilkada_nlp.review.parse_label`). Every
    problem is reported at once in one :class:`LabelStudioError`.
    """
    if not isinstance(document, list):
        raise LabelStudioError("not a Label Studio JSON export: expected a list of tasks (export as JSON, not JSON-MIN)")
    problems: list[str] = []
    decisions: list[tuple[str, str, str]] = []
    pending = 0
    for number, task in enumerate(document, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        review_id = data.get("review_id") if isinstance(data, dict) else None
        if not isinstance(review_id, str) or not review_id:
            problems.append(f"task {number}: no data.review_id (import only tasks exported by this service)")
            continue
        answers = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        choices = [(a, r["value"]["choices"]) for a in answers for r in a.get("result") or []
                   if isinstance(r, dict) and r.get("from_name") == LS_FROM_NAME
                   and isinstance(r.get("value"), dict) and r["value"].get("choices")]
        if not choices:
            pending += 1
            continue
        annotation, chosen = choices[-1]
        try:
            label = parse_label(chosen[0])
        except ValueError as error:
            problems.append(f"task {number} ({review_id}): {error}")
            continue
        if label is None:
            pending += 1
            continue
        decisions.append((review_id, label, _annotator(annotation)))
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise LabelStudioError(f"{len(problems)} problem(s): {shown}")
    return decisions, pending
