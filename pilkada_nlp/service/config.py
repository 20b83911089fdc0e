"""What a deployment of the patrol service chooses: where its files are, how much one request may ask for, logging."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ServiceConfig:
    """Settings of one running service; the ``pilkada-nlp serve`` options map onto these fields one to one."""

    #: JSON keys file written by ``pilkada-nlp serve add-key`` (hashes only).
    keys: Path
    #: SQLite database of the review queue and decisions; survives restarts.
    database: Path = Path("pilkada-review.sqlite3")
    #: Shipped model name or model directory; ``None`` for the default model.
    model: str | None = None
    #: Largest request body accepted, in bytes (a 1 MB post fits; longer posts are truncated by the classifier).
    max_body_bytes: int = 4 * 1024 * 1024
    #: Most texts in one ``/v1/classify`` request (explanations make it dearer per post than ``/v1/score``).
    max_classify_texts: int = 100
    #: Most texts in one ``/v1/score`` request.
    max_score_texts: int = 10_000
    #: Requests per second each key may make on average, and how many it may make at once after a pause.
    rate_per_second: float = 50.0
    rate_burst: int = 100
    #: Threads that run classification, so the event loop never waits on the model.
    workers: int = 2
    #: Fact-check index directory (``pilkada-nlp factcheck build``); enables ``/v1/factcheck/match``.
    factcheck: Path | None = None
    #: Log post texts (off by default: posts can hold personal data).
    log_texts: bool = False
    #: Scored files whose review-export selection is added to the queue at start (``pilkada-nlp score`` output).
    queue_files: tuple[Path, ...] = field(default_factory=tuple)
    #: The review-export rules for those files and for ``/v1/review/queue`` (see :func:`pilkada_nlp.review.select_for_review`).
    queue_uncertain: int = 100
    queue_audit: int = 50
    queue_margin: float = 0.1
