"""The four labels of pilkada-nlp: the one place that defines their ids, order, Indonesian names and meaning.

Every other module (normaliser, models, CLI, training) takes labels from here, and every model directory records the
label order it was trained with, so a retrain can never silently shuffle them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Label:
    """One output class: its id (used in code and files), Indonesian display name and one-line definition."""

    id: str
    indonesian: str
    definition: str


_DEFINITIONS = (
    Label(
        "hoax",
        "hoaks",
        "False or misleading factual claims presented as fact (candidates, voting procedure, KPU/Bawaslu, ballots, "
        "results, chain messages).",
    ),
    Label(
        "hate_speech",
        "ujaran kebencian",
        "Attacks or incites hostility against people or groups for ethnicity, religion, race, inter-group (SARA), "
        "gender, disability or origin.",
    ),
    Label(
        "illegal_campaign",
        "kampanye ilegal",
        "The post itself is or solicits a campaign violation: vote buying, quiet-period campaigning, partisanship of "
        "ASN/TNI/Polri/village heads, campaigning in places of worship, schools or offices, misuse of government "
        "programmes, involving children, intimidating voters, paid mobilisation.",
    ),
    Label(
        "benign",
        "netral",
        "Everything else, including news reports about violations, fact-checks that quote a hoax to debunk it, "
        "legitimate campaigning and harsh but legitimate criticism.",
    ),
)

#: Label ids in canonical order.
LABELS: tuple[str, ...] = tuple(label.id for label in _DEFINITIONS)

#: The label that means "no action needed"; every other label is a flag.
BENIGN = "benign"

#: Labels that flag a post for review.
FLAG_LABELS: tuple[str, ...] = tuple(label for label in LABELS if label != BENIGN)

#: Full definitions by id.
LABEL_INFO: dict[str, Label] = {label.id: label for label in _DEFINITIONS}


def check_label(label: str) -> str:
    """Return ``label`` if it is one of :data:`LABELS`, else raise a ``ValueError`` that lists the valid ones."""
    if label not in LABEL_INFO:
        raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    return label
