"""Scoring tables: a DataFrame column or a whole file in, the same rows out with scores appended.

Output = every input column, then :data:`OUTPUT_COLUMNS`: ``label``, ``score``, one ``score_<label>`` per label,
``flags`` (``;``-joined, empty for none) and ``error``. A row that can't be scored (missing, NaN, not text, empty,
undecodable bytes) keeps its place, gets an ``error`` message and empty scores: output rows = input rows, in order.
An input column whose name clashes with an output column is kept as ``input_<name>``.

:func:`score_file` streams a file chunk by chunk (formats: :mod:`pilkada_nlp.io`) with a tqdm progress bar. Output
is atomic: chunks go to a work folder beside the output (``.<name>.partial/``) and the output appears, by rename, only
when complete. After an interruption ``resume=True`` continues from the last complete chunk; the result is
byte-identical to an uninterrupted run, because chunk boundaries, part files and the join are deterministic.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import shutil
from collections import deque
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pilkada_nlp import io
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import Classifier, load_model
from pilkada_nlp.summary import Summary

OUTPUT_COLUMNS = ["label", "score", *(f"score_{label}" for label in LABELS), "flags", "error"]
#: Added after :data:`OUTPUT_COLUMNS` when scoring with a fact-check index (the best match of each row).
MATCH_COLUMNS = ["match_claim", "match_url", "match_verdict", "match_similarity", "match_stance"]
#: Rows per chunk: big enough to amortise per-call costs, small enough for flat memory and frequent checkpoints.
DEFAULT_CHUNKSIZE = 10_000
STATE_FILE = "state.json"


class ColumnError(KeyError):
    """The text column is not in the table; the message lists the columns that are."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def row_error(value: object) -> str | None:
    """Why ``value`` can't be scored, or None when it can (a non-blank ``str`` without undecodable bytes)."""
    if isinstance(value, str):
        if not value.strip():
            return "empty text"
        if io.has_undecodable(value):
            return "undecodable bytes in text (wrong --encoding?)"
        return None
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "missing text"
    return f"not text ({type(value).__name__})"


def output_name(column: str) -> str:
    """The name an input column has in the output (``input_<name>`` when it clashes with an output column)."""
    name = column
    while name in OUTPUT_COLUMNS:
        name = f"input_{name}"
    return name


def _classifier(model: Classifier | str | Path | None) -> Classifier:
    return model if isinstance(model, Classifier) else load_model(model)


ModelRef = tuple[str | None, tuple[tuple[str, float], ...] | None]


def model_ref(model: Classifier | str | Path | None) -> ModelRef:
    """What a worker process gets instead of a model: its name or directory, plus its thresholds if it is loaded.

    Workers load the model themselves (:func:`worker_model`), so no weights are pickled per task; thresholds travel
    so that a model whose thresholds were changed in memory scores the same everywhere.
    """
    if isinstance(model, Classifier):
        if model.path is None:
            raise ValueError("a model without a directory can't be sent to worker processes; save it first")
        return str(model.path), tuple(sorted(model.thresholds.items()))
    return (None if model is None else str(model)), None


@lru_cache(maxsize=4)
def worker_model(name_or_path: str | None, thresholds: tuple[tuple[str, float], ...] | None) -> Classifier:
    """The model for a :func:`model_ref`, loaded once per process."""
    model = load_model(name_or_path)
    if thresholds is not None and dict(thresholds) != model.thresholds:
        model = copy.copy(model)  # the cached original keeps its shipped thresholds
        model.thresholds = dict(thresholds)
    return model


def score_partition(frame: pd.DataFrame, text_column: str, ref: ModelRef) -> pd.DataFrame:
    """:func:`score_dataframe` with the process's own copy of the model: the task that workers run."""
    return score_dataframe(frame, text_column, model=worker_model(*ref))


def check_column(columns: list, text_column: str) -> None:
    """Raise :class:`ColumnError` naming the existing columns when ``text_column`` is not one of ``columns``."""
    if text_column not in columns:
        raise ColumnError(
            f"text column {text_column!r} not found; the columns are: {', '.join(map(str, columns)) or '(none)'}"
        )


def score_dataframe(
    df: pd.DataFrame, text_column: str, *, model: Classifier | str | Path | None = None, factcheck: Any = None
) -> pd.DataFrame:
    """Return ``df`` with the :data:`OUTPUT_COLUMNS` appended, same rows, same order, same index.

    ``factcheck``: a fact-check index (or its path): the match rule applies and :data:`MATCH_COLUMNS` are added.

    Raises :class:`ColumnError` (a ``KeyError``) when ``text_column`` is missing. Bad rows never raise: they get an
    ``error`` message (see the module docstring).
    """
    check_column(list(df.columns), text_column)
    classifier = _classifier(model)
    values = df[text_column].tolist()
    errors = [row_error(value) for value in values]
    ok = [i for i, error in enumerate(errors) if error is None]
    n = len(df)
    label = np.full(n, None, dtype=object)
    score = np.full(n, np.nan)
    scores = np.full((n, len(LABELS)), np.nan)
    flags = np.full(n, None, dtype=object)
    matched = {name: np.full(n, None, dtype=object) for name in MATCH_COLUMNS}
    if ok:
        predictions = classifier.classify([values[i] for i in ok], factcheck=factcheck)
        if factcheck is not None:
            rows = [p.to_row() for p in predictions]
            for name in MATCH_COLUMNS:
                matched[name][ok] = [row[name] for row in rows]
        label[ok] = [p.label for p in predictions]
        score[ok] = [p.score for p in predictions]
        scores[ok] = [[p.scores[name] for name in LABELS] for p in predictions]
        flags[ok] = [";".join(p.flags) for p in predictions]
    def text(values: Any) -> pd.Series:  # object dtype keeps None as None on every pandas version
        return pd.Series(values, index=df.index, dtype=object)

    columns: dict[str, Any] = {"label": text(label), "score": pd.Series(score, index=df.index)}
    columns.update({f"score_{name}": pd.Series(scores[:, j], index=df.index) for j, name in enumerate(LABELS)})
    columns.update({"flags": text(flags), "error": text(errors)})
    if factcheck is not None:
        columns.update({name: text(values_) for name, values_ in matched.items()})
    out = pd.DataFrame(columns, index=df.index)
    renamed = df.rename(columns={c: output_name(c) for c in df.columns if c in OUTPUT_COLUMNS})
    return pd.concat([renamed, out], axis=1)


# --- files ---------------------------------------------------------------------------------------------------------


def work_dir_for(dst: str | Path) -> Path:
    """The folder where an unfinished run of ``dst`` keeps its parts and checkpoint."""
    dst = Path(dst)
    return dst.parent / f".{dst.name}.partial"


def _fingerprint(src: Path, table: io.Table, text_column: str, chunksize: int, classifier: Classifier,
                 dst: Path) -> dict[str, Any]:
    """What must be unchanged for a resumed run to produce the same output as a fresh one."""
    from pilkada_nlp import __version__

    stat = src.stat()
    model = json.dumps({"metadata": classifier.metadata, "thresholds": classifier.thresholds}, sort_keys=True,
                       default=str)
    return {
        "source": str(src.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "encoding": table.encoding,
        "delimiter": table.delimiter, "text_column": text_column, "chunksize": chunksize, "output_format": dst.suffix,
        "model": hashlib.sha256(model.encode()).hexdigest(), "pilkada_nlp": __version__,
    }


def _write_state(work: Path, state: dict[str, Any]) -> None:
    temporary = work / (STATE_FILE + ".tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, work / STATE_FILE)


def _resumable_state(work: Path, fingerprint: dict[str, Any]) -> dict[str, Any] | None:
    """The checkpoint of an earlier run with the same inputs, or raise ValueError saying what changed."""
    path = work / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    changed = [key for key, value in fingerprint.items() if state.get("fingerprint", {}).get(key) != value]
    if changed:
        raise ValueError(
            f"cannot resume: {', '.join(changed)} changed since the interrupted run; run again without --resume"
        )
    return state


def _score_chunks(
    chunks: Iterator[tuple[int, pd.DataFrame]], text_column: str, classifier: Classifier, jobs: int,
    factcheck: Any = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(index, scored)`` in input order; with ``jobs > 1``, chunks are scored by that many worker processes.

    At most ``jobs + 1`` chunks are in flight, so memory stays bounded; results are written in order, so the output
    and the checkpoints are the same as with one process.
    """
    if jobs <= 1 or factcheck is not None:
        for index, chunk in chunks:
            yield index, score_dataframe(chunk, text_column, model=classifier, factcheck=factcheck)
        return
    from concurrent.futures import ProcessPoolExecutor

    ref = model_ref(classifier)
    pool = ProcessPoolExecutor(max_workers=jobs)
    pending: deque = deque()
    try:
        for index, chunk in chunks:
            pending.append((index, pool.submit(score_partition, chunk, text_column, ref)))
            if len(pending) > jobs:
                done_index, future = pending.popleft()
                yield done_index, future.result()
        while pending:
            done_index, future = pending.popleft()
            yield done_index, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def score_file(
    src: str | Path,
    dst: str | Path,
    *,
    text_column: str,
    model: Classifier | str | Path | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
    resume: bool = False,
    encoding: str | None = None,
    progress: bool = True,
    top_n: int = 10,
    jobs: int = 1,
    factcheck: Any = None,
) -> Summary:
    """Score the ``text_column`` of file ``src`` into file ``dst``, formats by extension (see :mod:`pilkada_nlp.io`).

    Args:
        chunksize: rows read, scored and written at a time; memory depends on it, not on the file size.
        resume: continue an interrupted run of the same ``src`` -> ``dst`` from its last complete chunk. Without it,
            any unfinished run of ``dst`` is discarded.
        encoding: the encoding of a text input file; detected when None (UTF-8, UTF-8 with BOM, UTF-16, cp1252).
        progress: show a tqdm progress bar (rows/s and ETA) on stderr.
        top_n: how many of the most confident flagged posts the summary keeps.
        jobs: worker processes that score chunks in parallel (each loads the model once, ~200 MB); the output is
            identical for any number.
        factcheck: a fact-check index or its path: adds :data:`MATCH_COLUMNS` (scored in this process: ``jobs``
            is ignored with an index).

    Returns the run's :class:`~pilkada_nlp.summary.Summary`.

    Raises:
        FileNotFoundError: ``src`` doesn't exist. :class:`ColumnError`: ``text_column`` isn't in ``src``.
        pilkada_nlp.io.InputFileError: ``src`` is empty, truncated, corrupt or of an unsupported type, or ``dst`` is.
        ImportError: the format needs an optional dependency (``pip install 'pilkada-nlp[batch]'``).
    """
    from tqdm import tqdm  # the plain bar: works in terminals and notebooks alike, no ipywidgets needed

    src, dst = Path(src), Path(dst)
    io.file_format(dst)
    if dst.resolve() == src.resolve():
        raise io.InputFileError(f"{dst}: the output would overwrite the input; choose another output file")
    if not dst.parent.is_dir():
        raise io.InputFileError(f"{dst}: the output folder {dst.parent} does not exist")
    table = io.open_table(src, encoding=encoding)
    check_column(table.columns, text_column)
    classifier = _classifier(model)
    if factcheck is not None:
        from pilkada_nlp.factcheck.integrate import as_index

        factcheck = as_index(factcheck)
    writer = io.PartWriter(dst, work_dir_for(dst))
    fingerprint = _fingerprint(src, table, text_column, chunksize, classifier, dst)
    if factcheck is not None:
        fingerprint["factcheck"] = hashlib.sha256(json.dumps(factcheck.manifest, sort_keys=True).encode()).hexdigest()
    state = _resumable_state(writer.work_dir, fingerprint) if resume else None
    if state is None:
        shutil.rmtree(writer.work_dir, ignore_errors=True)
        state = {"fingerprint": fingerprint, "parts": 0, "rows": 0,
                 "summary": Summary(dict(classifier.thresholds), top_n=top_n).to_dict()}
    summary = Summary.from_dict(state["summary"])
    writer.work_dir.mkdir(parents=True, exist_ok=True)

    text_out = output_name(text_column)
    done_parts, resumed_rows, skipped_rows = state["parts"], state["rows"], 0
    with tqdm(total=table.total_rows, initial=state["rows"], unit="rows", disable=not progress,
              desc=src.name, mininterval=0.5) as bar:
        def todo() -> Iterator[tuple[int, pd.DataFrame]]:
            nonlocal skipped_rows
            for index, chunk in enumerate(table.chunks(chunksize)):
                if index < done_parts:
                    skipped_rows += len(chunk)
                else:
                    yield index, chunk

        for index, scored in _score_chunks(todo(), text_column, classifier, jobs, factcheck):
            summary.add(scored, text_out, first_row=state["rows"])
            writer.write(index, scored)
            state.update(parts=index + 1, rows=state["rows"] + len(scored), summary=summary.to_dict())
            _write_state(writer.work_dir, state)
            bar.update(len(scored))
        bar.total = bar.n
    if skipped_rows != resumed_rows:
        raise io.InputFileError(f"{src}: the file has fewer rows than the interrupted run; run without --resume")
    temporary = writer.work_dir / ("joined" + dst.suffix)
    writer.join(state["parts"], temporary)
    os.replace(temporary, dst)
    shutil.rmtree(writer.work_dir, ignore_errors=True)
    return summary
