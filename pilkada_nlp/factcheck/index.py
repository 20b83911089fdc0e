"""``FactCheckIndex``: build, extend, open and query an index of fact-checks (format: :mod:`.store`).

Retrieval is hybrid:

* **lexical**: SQLite FTS5 BM25 over claims normalised with :func:`pilkada_nlp.text.normalize` (the project's
  analyser: slang, reduplication, money, names, URLs), queried with the post normalised the same way. Each token of
  the post becomes a quoted FTS5 string (``"token"``, inner quotes doubled) joined by ``OR``, passed as a bound
  parameter: FTS5 operators, columns filters or quotes in a post are never interpreted.
* **dense**: cosine between the post's ``query:`` vector and every claim's ``passage:`` vector (multilingual-e5-small).
* **fusion**: reciprocal rank fusion, ``sum 1 / (60 + rank)`` over the two rankings (Cormack et al. 2009).

Each candidate gets a ``similarity`` in [0, 1] that does not depend on the rest of the index, so a threshold means
the same for every post: the mean of the dense cosine rescaled from ``[dense_floor, 1]`` to ``[0, 1]`` and the
IDF-weighted share of the shorter side's tokens that the other side has. The 50 best candidates by fusion are then
ordered by that similarity (``rerank=False`` keeps the fusion order; both are measured in ``benchmarks/factcheck.py``).
"""

from __future__ import annotations

import math
import re
import shutil
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from pilkada_nlp.factcheck import store
from pilkada_nlp.factcheck.archive import ArchiveError, ReadSummary, Record, read_archive, verdict_class
from pilkada_nlp.factcheck.encoders import Encoder, get_encoder
from pilkada_nlp.inputs import as_text_list, check_text
from pilkada_nlp.text import NORMALIZER_VERSION, normalize

#: Reciprocal rank fusion constant (the usual 60).
RRF_K = 60
#: Candidates taken from each side before fusion.
CANDIDATES = 50
#: Most tokens of a post sent to FTS5 (long posts: the first ones; claims sit early).
MAX_QUERY_TOKENS = 64
#: Post tokens in more than this share of the claims are not sent to FTS5 (they hardly move BM25 but make it visit
#: most of the index); the rarest few are kept when nothing else is left.
MAX_DF_SHARE = 0.2
KEEP_RAREST = 3
#: Similarity defaults; an index stores its own (``manifest["similarity"]``).
DEFAULT_SIMILARITY = {"dense_floor": 0.75, "dense_weight": 0.5}
#: Integration thresholds before tuning (see :func:`pilkada_nlp.factcheck.integrate.tune_thresholds`).
DEFAULT_THRESHOLDS = {"assert_similarity": 0.6, "debunk_similarity": 0.5, "tuned_on": None}
MODES = ("fused", "lexical", "dense")
_FTS_TOKEN = re.compile(r"[\w@]+")
ENCODE_BATCH = 64


@dataclass(frozen=True)
class Match:
    """One fact-check matched to a post."""

    id: int
    claim: str
    verdict: str
    verdict_class: str
    url: str
    date: str | None
    source: str
    similarity: float
    stance: str | None = None
    stance_score: float | None = None
    lexical: float | None = None
    dense: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fts_query(tokens: list[str]) -> str | None:
    """An FTS5 MATCH expression that ORs ``tokens`` as quoted strings; None when nothing is left to search."""
    words = [t for t in dict.fromkeys(tokens) if _FTS_TOKEN.fullmatch(t)][:MAX_QUERY_TOKENS]
    if not words:
        return None
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


def _tokens(normalised: str) -> list[str]:
    return _FTS_TOKEN.findall(normalised)


class FactCheckIndex:
    """A fact-check index (see the module docstring). Get one with :meth:`build` or :func:`load_index`."""

    def __init__(self, directory: Path, manifest: dict[str, Any], connection: sqlite3.Connection,
                 vectors: np.ndarray, encoder: Encoder, writable: bool) -> None:
        self.path = directory
        self.manifest = manifest
        self._db = connection
        self._vectors = vectors.astype(np.float32)  # float16 on disk; float32 for the product (one copy kept)
        self.encoder = encoder
        self.writable = writable
        self._df = self._document_frequencies()

    # -- building ---------------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, records: Any, path: str | Path, *, columns: dict[str, str] | None = None, strict: bool = False,
              encoder: str | Encoder | None = None, progress: bool = False, overwrite: bool = False,
              thresholds: dict[str, Any] | None = None) -> FactCheckIndex:
        """Build an index at ``path`` (a new directory) from an archive; returns it open for :meth:`add`.

        ``records``: a CSV/TSV/JSONL/Parquet path, a DataFrame or a list of dicts (see :mod:`.archive` for the columns
        and what happens to bad rows; ``build_summary`` says what was skipped). The build happens in a temporary
        directory beside ``path`` and is moved into place at the end, so a failed build leaves nothing behind.
        """
        path = Path(path).expanduser()
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} already exists; choose another path or pass overwrite=True (--force)")
        kept, summary = read_archive(records, columns=columns, strict=strict)
        if not kept:
            raise ArchiveError(f"no usable fact-checks in the archive ({summary.to_text()})")
        encoder = get_encoder(encoder)
        path.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            connection = store.create_database(work)
            vectors = _insert(connection, encoder, kept, 1, progress)
            connection.commit()
            connection.execute("INSERT INTO records_fts(records_fts) VALUES ('optimize')")
            connection.commit()
            connection.close()
            store.write_vectors(work, vectors)
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            manifest = {
                "entries": len(kept), "created": now, "updated": now, "normalizer_version": NORMALIZER_VERSION,
                "encoder": {"name": encoder.name, "dim": encoder.dim, "version": getattr(encoder, "version", None),
                            "prefixes": {"query": "query: ", "passage": "passage: "}},
                "similarity": {**DEFAULT_SIMILARITY, "dense_floor": getattr(encoder, "dense_floor", 0.75)},
                "thresholds": {**DEFAULT_THRESHOLDS, **(thresholds or {})},
                "builds": [{"at": now, **summary.to_dict()}],
            }
            store.write_manifest(work, manifest)
            if path.exists():
                shutil.rmtree(path)
            work.rename(path)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        index = load_index(path, writable=True)
        index.build_summary = summary
        return index

    def add(self, records: Any, *, columns: dict[str, str] | None = None, strict: bool = False,
            progress: bool = False) -> ReadSummary:
        """Add fact-checks without a rebuild (rows already in the index count as duplicates). Needs a writable index."""
        if not self.writable:
            raise PermissionError(f"{self.path}: opened read-only; use load_index(path, writable=True) to add")
        existing = {(norm, verdict, url) for norm, verdict, url in self._db.execute(
            "SELECT f.norm, lower(r.verdict), r.url FROM records r JOIN records_fts f ON f.rowid = r.id")}
        kept, summary = read_archive(records, columns=columns, strict=strict, existing=existing)
        if not kept:
            return summary
        start = len(self) + 1
        try:
            new = _insert(self._db, self.encoder, kept, start, progress)
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        vectors = np.concatenate([self._vectors.astype(np.float16), new.astype(np.float16)])
        store.write_vectors(self.path, vectors)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        manifest = {k: v for k, v in self.manifest.items() if k not in ("format", "format_version", "files")}
        manifest.update(entries=len(vectors), updated=now, builds=manifest.get("builds", []) + [
            {"at": now, "added": True, **summary.to_dict()}])
        self.manifest = store.write_manifest(self.path, manifest)
        self._vectors = vectors.astype(np.float32)
        self._df = self._document_frequencies()
        return summary

    def set_thresholds(self, thresholds: dict[str, Any]) -> None:
        """Store integration thresholds (e.g. tuned on validation) in the manifest. Needs a writable index."""
        if not self.writable:
            raise PermissionError(f"{self.path}: opened read-only; use load_index(path, writable=True)")
        manifest = {k: v for k, v in self.manifest.items() if k not in ("format", "format_version", "files")}
        manifest["thresholds"] = {**manifest.get("thresholds", {}), **thresholds}
        self.manifest = store.write_manifest(self.path, manifest)

    def tune(self, texts: list[str], is_hoax: list[bool], *, model: Any = None, k: int = 5) -> dict[str, Any]:
        """Tune the integration thresholds on labelled validation posts and store them (needs a writable index).

        ``texts``: posts (hoaxes, debunks, other posts); ``is_hoax``: their gold answers; ``model``: the classifier
        whose flags are adjusted (default: the shipped default). See
        :func:`pilkada_nlp.factcheck.integrate.tune_thresholds` for the rule. Returns the stored thresholds.
        """
        from pilkada_nlp.factcheck.integrate import tune_thresholds
        from pilkada_nlp.models import Classifier, load_model

        if len(texts) != len(is_hoax):
            raise ValueError(f"texts and is_hoax differ in length ({len(texts)} vs {len(is_hoax)})")
        classifier = model if isinstance(model, Classifier) else load_model(model)
        predictions = classifier.classify(list(texts))
        tuned = tune_thresholds([p.flags for p in predictions], [p.scores for p in predictions],
                                self.match(list(texts), k=k), [bool(v) for v in is_hoax])
        self.set_thresholds(tuned)
        return tuned

    # -- reading ----------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.manifest["entries"])

    def __repr__(self) -> str:
        return f"FactCheckIndex({str(self.path)!r}, entries={len(self)}, encoder={self.encoder.name!r})"

    @property
    def thresholds(self) -> dict[str, Any]:
        return {**DEFAULT_THRESHOLDS, **self.manifest.get("thresholds", {})}

    def close(self) -> None:
        self._db.close()

    def record(self, id_: int) -> Record:
        row = self._db.execute(
            "SELECT claim, verdict, url, date, source, explanation FROM records WHERE id = ?", (int(id_),)).fetchone()
        if row is None:
            raise KeyError(f"no fact-check with id {id_}")
        return Record(*row)

    def records(self):
        """``(id, Record)`` of every fact-check, in id order."""
        for row in self._db.execute(
                "SELECT id, claim, verdict, url, date, source, explanation FROM records ORDER BY id"):
            yield row[0], Record(*row[1:])

    def match(self, texts: object, k: int = 5, *, mode: str = "fused", stance: bool = True, rerank: bool = True
              ) -> list[Match] | list[list[Match]]:
        """The top-``k`` fact-checks for each post, best first.

        ``texts``: one ``str`` (returns a list of :class:`Match`) or a sequence of ``str`` (returns a list of lists,
        same order). ``mode``: ``"fused"`` (default), ``"lexical"`` (FTS5 BM25 only) or ``"dense"`` (vectors only).
        ``stance``: also say whether each post asserts, questions or debunks each matched claim.
        ``rerank`` (fused only): order the :data:`CANDIDATES` best by reciprocal rank fusion by their ``similarity``
        (the default; it measured better on the paired benchmark), or keep the fusion order (``False``).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        items, single = as_text_list(texts)
        posts = [check_text(value, i)[0] for i, value in enumerate(items)]
        normalised = [normalize(post, self.manifest.get("normalizer_version", NORMALIZER_VERSION)) for post in posts]
        depth = max(CANDIDATES, k)
        results = []
        for start in range(0, len(posts), ENCODE_BATCH):
            batch = posts[start : start + ENCODE_BATCH]
            query_vectors = self.encoder.queries(batch) if mode != "lexical" else [None] * len(batch)
            dense_scores = self._vectors @ query_vectors.T if mode != "lexical" else None
            for i, post in enumerate(batch):
                norm = normalised[start + i]
                if not post.strip():
                    results.append([])
                    continue
                rankings = []
                if mode != "dense":
                    rankings.append(self._lexical(norm, depth))
                if dense_scores is not None:
                    column = dense_scores[:, i]
                    top = np.argpartition(-column, min(depth, len(column) - 1))[:depth]
                    rankings.append([int(j) + 1 for j in top[np.argsort(-column[top], kind="stable")]])
                fused: dict[int, float] = {}
                for ranking in rankings:
                    for rank, id_ in enumerate(ranking, 1):
                        fused[id_] = fused.get(id_, 0.0) + 1.0 / (RRF_K + rank)
                order = sorted(fused, key=lambda id_: (-fused[id_], id_))
                if mode == "fused" and rerank:
                    pool = self._matches(post, norm, order[:depth], query_vectors[i], False)
                    rank = {id_: r for r, id_ in enumerate(order)}
                    pool.sort(key=lambda m: (-m.similarity, rank[m.id]))
                    results.append(self._with_stance(post, pool[:k]) if stance else pool[:k])
                else:
                    results.append(self._matches(post, norm, order[:k], query_vectors[i], stance))
        return results[0] if single else results

    # -- internals --------------------------------------------------------------------------------------------------
    def _document_frequencies(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT term, doc FROM records_vocab"))

    def _lexical(self, normalised: str, depth: int) -> list[int]:
        tokens = list(dict.fromkeys(t.lower() for t in _tokens(normalised)))
        limit = MAX_DF_SHARE * len(self)
        kept = [t for t in tokens if self._df.get(t, 0) <= limit]
        if len(kept) < KEEP_RAREST:
            kept = sorted(tokens, key=lambda t: self._df.get(t, 0))[:KEEP_RAREST]
        query = fts_query(kept)
        if query is None:
            return []
        rows = self._db.execute(
            "SELECT rowid FROM records_fts WHERE records_fts MATCH ? ORDER BY bm25(records_fts) LIMIT ?",
            (query, depth)).fetchall()
        return [row[0] for row in rows]

    def _idf(self, tokens: set[str]) -> dict[str, float]:
        n = len(self)
        return {t: math.log(1.0 + n / (self._df.get(t, 0) + 1.0)) for t in tokens}

    def _matches(self, post: str, normalised: str, ids: list[int], query_vector: np.ndarray | None,
                 stance: bool) -> list[Match]:
        """Matches for ``ids``; without a query vector (``mode="lexical"``) the similarity is the lexical one."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {row[0]: row for row in self._db.execute(
            f"SELECT r.id, r.claim, r.verdict, r.verdict_class, r.url, r.date, r.source, f.norm FROM records r "
            f"JOIN records_fts f ON f.rowid = r.id WHERE r.id IN ({marks})", ids)}
        # Post words no claim has can't match anything; leaving them out keeps "Sebarkan!" from lowering similarity.
        query_tokens = {t.lower() for t in _tokens(normalised) if t.lower() in self._df}
        claim_tokens = {id_: {t.lower() for t in _tokens(rows[id_][7])} for id_ in ids}
        idf = self._idf(query_tokens.union(*claim_tokens.values()))
        params = {**DEFAULT_SIMILARITY, **self.manifest.get("similarity", {})}
        floor, weight = float(params["dense_floor"]), float(params["dense_weight"])
        out = []
        for id_ in ids:
            row = rows[id_]
            both = sum(idf[t] for t in query_tokens & claim_tokens[id_])
            smaller = min(sum(idf[t] for t in query_tokens), sum(idf[t] for t in claim_tokens[id_])) or 1.0
            lexical = min(1.0, both / smaller)
            if query_vector is None:
                cosine, similarity = None, round(lexical, 4)
            else:
                cosine = round(float(self._vectors[id_ - 1] @ query_vector), 4)
                dense = min(1.0, max(0.0, (cosine - floor) / (1.0 - floor)))
                similarity = round(weight * dense + (1 - weight) * lexical, 4)
            out.append(Match(id_, row[1], row[2], row[3], row[4], row[5], row[6], similarity,
                             lexical=round(lexical, 4), dense=cosine))
        return self._with_stance(post, out) if stance else out

    def _with_stance(self, post: str, matches: list[Match]) -> list[Match]:
        if not matches:
            return matches
        from pilkada_nlp.factcheck.stance import predict_stance

        labels, scores = predict_stance([post] * len(matches), [m.claim for m in matches])
        return [Match(**{**m.to_dict(), "stance": label, "stance_score": round(float(score), 4)})
                for m, label, score in zip(matches, labels, scores)]


def _insert(connection: sqlite3.Connection, encoder: Encoder, records: list[Record], start: int,
            progress: bool) -> np.ndarray:
    """Insert ``records`` with ids from ``start`` and return their dense vectors (float32, in id order)."""
    from tqdm import tqdm

    vectors = np.zeros((len(records), encoder.dim), dtype=np.float32)
    with tqdm(total=len(records), unit="fact-checks", desc="indexing", disable=not progress, mininterval=0.5) as bar:
        for offset in range(0, len(records), ENCODE_BATCH):
            batch = records[offset : offset + ENCODE_BATCH]
            ids = range(start + offset, start + offset + len(batch))
            connection.executemany(
                "INSERT INTO records (id, claim, verdict, verdict_class, url, date, source, explanation) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(id_, r.claim, r.verdict, verdict_class(r.verdict), r.url, r.date, r.source, r.explanation)
                 for id_, r in zip(ids, batch)])
            connection.executemany("INSERT INTO records_fts (rowid, norm) VALUES (?, ?)",
                                   [(id_, normalize(r.claim)) for id_, r in zip(ids, batch)])
            vectors[offset : offset + len(batch)] = encoder.passages([r.claim for r in batch])
            bar.update(len(batch))
    return vectors


def load_index(path: str | Path, *, writable: bool = False, encoder: str | Encoder | None = None,
               verify: bool = True) -> FactCheckIndex:
    """Open a built index: read-only unless ``writable`` (for :meth:`FactCheckIndex.add`).

    The manifest's checksums are verified (``verify=False`` skips that, for trusted, very large indexes). Raises
    ``FileNotFoundError`` for a missing path and :class:`~pilkada_nlp.factcheck.store.IndexFileError` (a
    ``ValueError``) for anything that is not an intact index. ``encoder`` overrides the recorded encoder with an
    object of the same name and dimension (e.g. one already loaded).
    """
    directory = store.index_directory(path)
    manifest = store.read_manifest(directory, verify=verify)
    if manifest.get("normalizer_version") not in ("1", "2"):
        raise store.IndexFileError(f"{directory}: built with normaliser {manifest.get('normalizer_version')!r}; rebuild it")
    recorded = manifest.get("encoder", {})
    try:
        enc = get_encoder(encoder if encoder is not None else recorded.get("name"))
    except ValueError as error:
        raise store.IndexFileError(f"{directory}: {error}") from None
    if enc.name != recorded.get("name") or enc.dim != recorded.get("dim"):
        raise store.IndexFileError(
            f"{directory}: built with encoder {recorded.get('name')!r} ({recorded.get('dim')} dims), "
            f"not {enc.name!r} ({enc.dim})")
    connection = store.open_database(directory, writable=writable)
    (count,) = connection.execute("SELECT count(*) FROM records").fetchone()
    if count != manifest.get("entries"):
        connection.close()
        raise store.IndexFileError(f"{directory}: {count} records, the manifest says {manifest.get('entries')}; rebuild it")
    vectors = store.read_vectors(directory, count, enc.dim)
    return FactCheckIndex(directory, manifest, connection, vectors, enc, writable)
