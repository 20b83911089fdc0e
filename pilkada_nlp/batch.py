"""Scoring tables: a DataFrame column or a whole file in, the same rows out with scores appended.

Output = every input column, then :data:`OUTPUT_COLUMNS`: ``label``, ``score``, one ``score_<label>`` per label,
``flags`` (``;``-joined, empty for none) and ``error``. A row that can't be scored (missing, NaN, not text, empty,
undecodable bytes) keeps its place, gets an ``error`` message and empty scores: output rows = input rows, in order.
A row without text (empty, blank or missing: a CSV file cannot tell them apart) gets what :func:`pilkada_nlp.classify`
gives empty text: ``label`` benign, no flags, empty scores, and ``error`` ``"empty text"`` or ``"missing text"``.
An input column whose name clashes with an output column is kept as ``input_<name>``. In a CSV/TSV file, a row with
more fields than the header is kept too, unscored, its ``error`` naming its line (see :func:`flag_rows`).

:func:`score_file` streams a file chunk by chunk (formats: :mod:`pilkada_nlp.io`) with a tqdm progress bar. Output
is atomic: chunks go to a work folder beside the output (``.<name>.partial/``) and the output appears, by rename, only
when complete. After an interruption ``resume=True`` continues from the last complete chunk; the result is
byte-identical to an uninterrupted run, because chunk boundaries, part files and the join are deterministic. Resuming
trusts nothing on disk: the input must have the same content (sha256) as when the run began, and every part must still
have the row count and sha256 recorded when it was written (and flushed to disk); each part is checked again before the
join. Worker processes (``jobs > 1``) exit when the run's process dies, even by ``kill -9``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import shutil
import threading
import time
from collections import Counter, deque
from collections.abc import Collection, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from pilkada_nlp import io
from pilkada_nlp.inputs import EMPTY_WARNING
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import Classifier, load_model
from pilkada_nlp.models.manifest import sha256_of
from pilkada_nlp.summary import Summary, terminal_safe

OUTPUT_COLUMNS = ["label", "score", *(f"score_{label}" for label in LABELS), "flags", "error"]
#: Added after :data:`OUTPUT_COLUMNS` when scoring with a fact-check index (the best match of each row).
MATCH_COLUMNS = ["match_claim", "match_url", "match_verdict", "match_similarity", "match_stance"]
#: Rows per chunk: big enough to amortise per-call costs, small enough for flat memory and frequent checkpoints.
DEFAULT_CHUNKSIZE = 10_000
STATE_FILE = "state.json"
MISSING_TEXT = "missing text"
#: Errors of rows with no text at all: they are scored as :func:`pilkada_nlp.classify` scores empty text.
NO_TEXT = (EMPTY_WARNING, MISSING_TEXT)


class ColumnError(KeyError):
    """The text column is not in the table; the message lists the columns that are."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def row_error(value: object) -> str | None:
    """Why ``value`` can't be scored, or None when it can (a non-blank ``str`` without undecodable bytes)."""
    if isinstance(value, str):
        if not value.strip():
            return EMPTY_WARNING
        if io.has_undecodable(value):
            return "undecodable bytes in text (wrong --encoding?)"
        return None
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return MISSING_TEXT
    return f"not text ({type(value).__name__})"


def output_name(column: str, columns: Collection[str] = ()) -> str:
    """The name input column ``column`` has in the output, given all input ``columns``: its own, or ``input_<name>``
    when it clashes with an output column, with one more ``input_`` while that is another input column's name (an
    input with both ``label`` and ``input_label`` keeps both)."""
    name = column
    while name in OUTPUT_COLUMNS or (name != column and name in columns):
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
    """Raise :class:`ColumnError` naming the existing columns when ``text_column`` is not one of ``columns``, or
    when a column name appears twice (which column is the text, and which one a row's value belongs to, would be a
    guess)."""
    repeated = sorted(str(c) for c, n in Counter(columns).items() if n > 1)
    if repeated:
        raise ColumnError(f"column names must be unique; {', '.join(map(repr, repeated))} appear more than once")
    if text_column not in columns:
        raise ColumnError(
            f"text column {text_column!r} not found; the columns are: "
            + (", ".join(terminal_safe(str(c)) for c in columns) or "(none)")
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
    # rows without text go through classify as "", so both give the same result: benign, no flags, NaN scores
    ok = [i for i, error in enumerate(errors) if error is None or error in NO_TEXT]
    n = len(df)
    label = np.full(n, None, dtype=object)
    score = np.full(n, np.nan)
    scores = np.full((n, len(LABELS)), np.nan)
    flags = np.full(n, None, dtype=object)
    matched = {name: np.full(n, None, dtype=object) for name in MATCH_COLUMNS}
    if ok:
        predictions = classifier.classify([values[i] if errors[i] is None else "" for i in ok], factcheck=factcheck)
        if factcheck is not None:  # rows without text match nothing: their match columns stay empty
            with_text = [j for j, i in enumerate(ok) if errors[i] is None]
            rows = [predictions[j].to_row() for j in with_text]
            for name in MATCH_COLUMNS:
                matched[name][[ok[j] for j in with_text]] = [row[name] for row in rows]
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
    renamed = df.rename(columns={c: output_name(c, df.columns) for c in df.columns if c in OUTPUT_COLUMNS})
    return pd.concat([renamed, out], axis=1)


def flag_rows(scored: pd.DataFrame, errors: dict[int, str]) -> pd.DataFrame:
    """``scored`` with the rows at positions ``errors`` unscored and their ``error`` set: rows the reader kept but
    could not split into the header's columns, so their text column may hold another field."""
    if not errors:
        return scored
    positions = list(errors)
    scored = scored.copy()
    for column in OUTPUT_COLUMNS[:-1]:
        scored.iloc[positions, scored.columns.get_loc(column)] = None if scored[column].dtype == object else np.nan
    scored.iloc[positions, scored.columns.get_loc("error")] = list(errors.values())
    return scored


# --- files ---------------------------------------------------------------------------------------------------------


def work_dir_for(dst: str | Path) -> Path:
    """The folder where an unfinished run of ``dst`` keeps its parts and checkpoint."""
    dst = Path(dst)
    return dst.parent / f".{dst.name}.partial"


def _claim(dst: Path) -> BinaryIO | None:
    """Hold an exclusive lock on ``dst`` for this run, so that two runs writing one output can't mix their parts in
    the shared work folder; the second gets a one-line :class:`~pilkada_nlp.io.InputFileError` instead.

    The lock is ``flock`` on ``.<name>.lock`` beside ``dst``: the kernel releases it when the returned file is closed
    or the process dies (``kill -9`` included), so a stale lock never blocks ``--resume`` (the empty file a failed
    run leaves holds no lock). Where there is no ``flock`` (Windows) runs are not guarded and ``None`` is returned.
    """
    try:
        import fcntl
    except ImportError:
        return None
    handle = open(dst.parent / f".{dst.name}.lock", "ab")  # noqa: SIM115 - the caller holds it for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise io.InputFileError(f"{dst}: another run is writing this output right now; wait for it to finish or "
                                "choose another output file") from None
    return handle


def _fingerprint(src: Path, table: io.Table, text_column: str, chunksize: int, classifier: Classifier,
                 writer: io.PartWriter) -> dict[str, Any]:
    """What must be unchanged for a resumed run to produce the same output as a fresh one.

    The input is identified by the sha256 of its content, not by size and modification time: a file rewritten with
    other rows of the same size, within the clock's resolution, must not resume.
    """
    from pilkada_nlp import __version__

    model = json.dumps({"metadata": classifier.metadata, "thresholds": classifier.thresholds}, sort_keys=True,
                       default=str)
    return {
        "source": str(src.resolve()), "size": src.stat().st_size, "sha256": sha256_of(src),
        "encoding": table.encoding, "delimiter": table.delimiter, "sheet": table.sheet, "text_column": text_column,
        "chunksize": chunksize, "output_format": writer.dst.suffix, "escape_formulas": writer.escape_formulas,
        "model": hashlib.sha256(model.encode()).hexdigest(), "pilkada_nlp": __version__,
    }


def _write_state(work: Path, state: dict[str, Any]) -> None:
    temporary = work / (STATE_FILE + ".tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, work / STATE_FILE)


def _check_parts(writer: io.PartWriter, state: dict[str, Any]) -> None:
    """Raise :class:`~pilkada_nlp.io.InputFileError` unless every part the checkpoint records is intact."""
    records = state.get("part_files", [])
    if len(records) != state["parts"] or sum(r["rows"] for r in records) != state["rows"]:
        raise io.InputFileError(f"{writer.work_dir}: the checkpoint does not match its parts; run without --resume")
    for index, record in enumerate(records):
        writer.check_part(index, record)


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
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=exit_with_parent)
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


def exit_with_parent(interval: float = 0.5) -> None:
    """Worker-process initialiser: exit as soon as the process that started this worker is gone.

    A parent killed by ``kill -9`` can't shut its pool down, and idle workers would otherwise wait on their queue
    forever. A daemon thread polls the parent's id: an orphan is re-parented, so it changes. (With the ``forkserver``
    start method the parent is the fork server, which exits with the scoring process, so the same holds.)
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


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
    sheet: str | None = None,
    escape_formulas: bool = True,
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
        sheet: the sheet of an XLSX input to score (default: the first).
        escape_formulas: in a CSV/TSV output, prefix text cells that a spreadsheet would run as a formula with ``'``
            (:func:`pilkada_nlp.io.escape_formula`; :func:`pilkada_nlp.io.read_table` removes it again). Turn off only
            for outputs that no spreadsheet opens.
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
    io.check_output(dst, src)
    table = io.open_table(src, encoding=encoding, sheet=sheet)
    check_column(table.columns, text_column)
    classifier = _classifier(model)
    if factcheck is not None:
        from pilkada_nlp.factcheck.integrate import as_index

        factcheck = as_index(factcheck)
    writer = io.PartWriter(dst, work_dir_for(dst), escape_formulas=escape_formulas)
    lock = _claim(dst)  # held until this function returns or raises (the file closes with it)
    fingerprint = _fingerprint(src, table, text_column, chunksize, classifier, writer)
    if factcheck is not None:
        fingerprint["factcheck"] = hashlib.sha256(json.dumps(factcheck.manifest, sort_keys=True).encode()).hexdigest()
    state = _resumable_state(writer.work_dir, fingerprint) if resume else None
    if state is None:
        shutil.rmtree(writer.work_dir, ignore_errors=True)
        state = {"fingerprint": fingerprint, "parts": 0, "rows": 0, "part_files": [],
                 "summary": Summary(dict(classifier.thresholds), top_n=top_n).to_dict()}
    else:
        _check_parts(writer, state)
    summary = Summary.from_dict(state["summary"])
    writer.work_dir.mkdir(parents=True, exist_ok=True)

    text_out = output_name(text_column, table.columns)
    done_parts, resumed_rows, skipped_rows = state["parts"], state["rows"], 0
    with tqdm(total=table.total_rows, initial=state["rows"], unit="rows", disable=not progress,
              desc=src.name, mininterval=0.5) as bar:
        read_errors: dict[int, dict[int, str]] = {}  # chunk index -> malformed rows, kept until the chunk is scored

        def todo() -> Iterator[tuple[int, pd.DataFrame]]:
            nonlocal skipped_rows
            for index, (chunk, errors) in enumerate(table.chunks_with_errors(chunksize)):
                if index < done_parts:
                    skipped_rows += len(chunk)
                else:
                    read_errors[index] = errors
                    yield index, chunk

        for index, scored in _score_chunks(todo(), text_column, classifier, jobs, factcheck):
            scored = flag_rows(scored, read_errors.pop(index))
            summary.add(scored, text_out, rows_before=state["rows"])
            state["part_files"].append(writer.write(index, scored))
            state.update(parts=index + 1, rows=state["rows"] + len(scored), summary=summary.to_dict())
            _write_state(writer.work_dir, state)
            bar.update(len(scored))
        bar.total = bar.n
    if skipped_rows != resumed_rows:
        raise io.InputFileError(f"{src}: the file has fewer rows than the interrupted run; run without --resume")
    _check_parts(writer, state)
    temporary = writer.work_dir / ("joined" + dst.suffix)
    writer.join(state["parts"], temporary)
    os.replace(temporary, dst)
    shutil.rmtree(writer.work_dir, ignore_errors=True)
    if lock is not None:
        Path(lock.name).unlink(missing_ok=True)
        lock.close()
    return summary
