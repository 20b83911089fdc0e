"""The review queue and reviewers' decisions, in one SQLite file that outlives the service.

Two tables: ``posts`` (what is to be reviewed: the text, why it was picked, and the model's prediction at the time)
and ``decisions`` (one row per button press: label or ``skip``, reviewer, time, the version of the model whose
prediction the reviewer saw, and where it came from). Decisions are only ever added, never updated: a post's label is
its latest non-skip decision, and the history stays for audits. Every write is its own transaction, committed before
the call returns (WAL journal, ``synchronous=FULL``), so a decision the page has acknowledged survives a crash.

The queue: posts without a decision, in the order they were added (the review-export order: uncertain first, closest
to a threshold first), then skipped posts, least skipped first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pilkada_nlp.labels import LABELS

SKIP = "skip"
#: What a reviewer may record for a post.
DECISIONS = (*LABELS, SKIP)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL,
    source TEXT NOT NULL,
    row_key TEXT NOT NULL DEFAULT '',
    selection TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    score REAL NOT NULL,
    scores TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '[]',
    model_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id TEXT NOT NULL REFERENCES posts(review_id),
    label TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    model_version TEXT NOT NULL,
    origin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_post ON decisions(review_id);
"""

#: Columns of ``posts`` given by the caller of :meth:`ReviewStore.add_posts`.
POST_FIELDS = ("review_id", "source", "row_key", "selection", "reason", "text", "label", "score", "scores", "flags",
               "explanation", "model_version")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class UnknownPostError(KeyError):
    """A decision for a ``review_id`` that is not in the store."""


class ReviewStore:
    """One SQLite database of posts and decisions; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, rows: list[tuple]) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(sql, rows)
                changed = self._db.total_changes - before
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return changed

    def _read(self, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    # -- the queue ----------------------------------------------------------------------------------------------
    def add_posts(self, posts: list[dict[str, Any]]) -> int:
        """Add posts (dicts with :data:`POST_FIELDS`; ``scores`` a dict, ``explanation`` a list of pairs) to the queue.

        A ``review_id`` already stored is left as it is, so adding the same selection twice changes nothing. Returns
        how many posts were new.
        """
        rows = [(*(post[f] if f not in ("scores", "explanation") else json.dumps(post[f]) for f in POST_FIELDS), now())
                for post in posts]
        columns = ", ".join(POST_FIELDS)
        marks = ", ".join("?" * (len(POST_FIELDS) + 1))
        return self._write(f"INSERT OR IGNORE INTO posts ({columns}, added_at) VALUES ({marks})", rows)

    def queue(self, limit: int = 1) -> list[dict[str, Any]]:
        """The next ``limit`` posts to review (see the module docstring for the order)."""
        rows = self._read(
            """SELECT p.*, COUNT(d.id) AS skips FROM posts p LEFT JOIN decisions d ON d.review_id = p.review_id
               GROUP BY p.review_id HAVING SUM(d.label != ?) IS NULL OR SUM(d.label != ?) = 0
               ORDER BY skips, p.position LIMIT ?""", (SKIP, SKIP, limit))
        return [_post(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Posts in the store: ``total``, ``decided`` (labelled), ``pending`` (the rest, skipped ones included)."""
        total, decided = self._read(
            "SELECT (SELECT COUNT(*) FROM posts), (SELECT COUNT(DISTINCT review_id) FROM decisions WHERE label != ?)",
            (SKIP,))[0]
        return {"total": total, "decided": decided, "pending": total - decided}

    def post(self, review_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT * FROM posts WHERE review_id = ?", (review_id,))
        return _post(rows[0]) if rows else None

    # -- decisions ----------------------------------------------------------------------------------------------
    def decide(self, review_id: str, label: str, reviewer: str, *, origin: str = "review page") -> dict[str, Any]:
        """Record one decision (a label id or ``skip``) in its own transaction; return it as stored.

        Raises ``ValueError`` for a label outside :data:`DECISIONS` and :class:`UnknownPostError` for an unknown post.
        """
        return self.decide_many([(review_id, label, reviewer)], origin=origin)[0]

    def decide_many(self, decisions: list[tuple[str, str, str]], *, origin: str) -> list[dict[str, Any]]:
        """Record ``(review_id, label, reviewer)`` decisions all in one transaction, or none of them."""
        bad = [label for _, label, _ in decisions if label not in DECISIONS]
        if bad:
            raise ValueError(f"unknown label {bad[0]!r}; expected one of {', '.join(DECISIONS)}")
        ids = {review_id for review_id, _, _ in decisions}
        versions = {row["review_id"]: row["model_version"] for row in self._read(
            f"SELECT review_id, model_version FROM posts WHERE review_id IN ({', '.join('?' * len(ids))})",
            tuple(ids))} if ids else {}
        missing = sorted(ids - versions.keys())
        if missing:
            raise UnknownPostError(f"no post with review_id {', '.join(missing[:5])} in the review queue")
        at = now()
        rows = [(review_id, label, reviewer, at, versions[review_id], origin) for review_id, label, reviewer in decisions]
        self._write("INSERT INTO decisions (review_id, label, reviewer, decided_at, model_version, origin) "
                    "VALUES (?, ?, ?, ?, ?, ?)", rows)
        return [dict(zip(("review_id", "label", "reviewer", "decided_at", "model_version", "origin"), row))
                for row in rows]

    def decisions(self, reviewer: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Every decision (or ``reviewer``'s), newest first."""
        where, parameters = ("WHERE reviewer = ?", (reviewer,)) if reviewer else ("", ())
        sql = f"SELECT * FROM decisions {where} ORDER BY id DESC" + (" LIMIT ?" if limit else "")
        return [dict(row) for row in self._read(sql, parameters + ((limit,) if limit else ()))]

    def posts_with_labels(self) -> list[dict[str, Any]]:
        """Every post, in queue order, with its latest non-skip decision as ``gold`` (``None`` while undecided)."""
        rows = self._read(
            """SELECT p.*, d.label AS gold_label, d.reviewer AS gold_reviewer, d.decided_at AS gold_at
               FROM posts p LEFT JOIN decisions d ON d.id = (
                   SELECT MAX(id) FROM decisions WHERE review_id = p.review_id AND label != ?)
               ORDER BY p.position""", (SKIP,))
        out = []
        for row in rows:
            post = _post(row)
            post["gold"] = None if row["gold_label"] is None else {
                "label": row["gold_label"], "reviewer": row["gold_reviewer"], "decided_at": row["gold_at"]}
            out.append(post)
        return out


def _post(row: sqlite3.Row) -> dict[str, Any]:
    post = {field: row[field] for field in (*POST_FIELDS, "added_at")}
    post["scores"] = json.loads(post["scores"])
    post["explanation"] = [tuple(pair) for pair in json.loads(post["explanation"])]
    return post
