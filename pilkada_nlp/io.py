"""Every file-format detail of batch scoring: which formats exist, how a text file's encoding and delimiter are found,
how a table is read in chunks, and how scored chunks are written and joined into one output file.

Formats are chosen by file extension, in and out: ``.csv``; ``.tsv``/``.tab``; ``.xlsx`` (the first sheet, or the one
named by ``sheet``; needs openpyxl); ``.parquet`` (needs pyarrow); ``.jsonl``/``.ndjson`` (one JSON object per line).

Posts are hostile input, and outputs are opened in Excel (see ``docs/security.md``):

* *formula injection*: XLSX text cells are always written as text, never as formulas. In CSV/TSV a text cell that a
  spreadsheet would run as a formula (first non-blank character ``=``, ``+``, ``-`` or ``@``, or a leading tab or
  carriage return) gets the OWASP prefix ``'`` (:func:`escape_formula`); readers here remove it again
  (:func:`unescape_formula`), so text reads back unchanged. ``escape_formulas=False`` writes raw cells for machine
  readers.
* *row integrity*: a field holding ``\\r`` is quoted (the csv module only quotes the line terminator it writes), and a
  CSV whose quotes don't balance (a quote left open swallows the rows after it) is refused on opening instead of
  merging rows. An XLSX cell holds at most 32,767 characters; a longer text is refused rather than cut.

Reading streams (:meth:`Table.chunks`): memory depends on the chunk size, not on the file size. Text files are decoded
with ``surrogateescape``, so a byte that is invalid in the file's encoding never stops a run: it becomes a lone
surrogate in its cell, the scorer reports that row as undecodable, and writers replace it by U+FFFD.

Writing is two-step so that an interrupted run can resume: each scored chunk becomes one *part* file in a work folder
(:meth:`PartWriter.write`), and :meth:`PartWriter.join` streams the parts into one file at the end. Parquet and XLSX
keep value types (numbers, dates); a column that mixes types (numbers and text, as spreadsheets often do) is written
as text there, and a column whose type differs between chunks is widened (int to float) or written as text. Outputs are
deterministic: the same parts give the same bytes (XLSX timestamps are pinned), which makes a resumed run
byte-identical to an uninterrupted one. Text outputs are UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from pilkada_nlp.labels import LABELS
from pilkada_nlp.models.manifest import sha256_of

#: File extension -> format name.
FORMATS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
#: Delimiters tried on the header line of a ``.csv`` file, in order of preference on ties.
DELIMITERS = (",", ";", "\t", "|")
#: The numeric columns of a scored file (:data:`pilkada_nlp.batch.OUTPUT_COLUMNS`), read back as numbers.
SCORE_COLUMNS = ("score", *(f"score_{label}" for label in LABELS))
#: Rows an XLSX sheet can hold, header included.
XLSX_MAX_ROWS = 1_048_576
#: Characters an XLSX cell can hold (openpyxl silently cuts longer text).
XLSX_MAX_CHARS = 32_767
#: Text a spreadsheet would run: after any ``'`` prefixes, a first non-blank ``=``, ``+``, ``-`` or ``@``, or a
#: leading tab or carriage return (OWASP's CSV injection list).
_FORMULA_RE = re.compile(r"'*(?:[ \t\r\n]*[=+\-@]|[\t\r])")
#: How the ``error`` of a text row with more fields than the header begins (:meth:`Table.chunks_with_errors`).
MALFORMED_ROW = "malformed row"
#: The csv module's default field limit is 128 KiB; pandas has none, and a post can be longer.
_FIELD_LIMIT = 1 << 30

_UNDECODABLE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Characters that XML 1.0, hence XLSX, cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BLOCK = 1 << 20
_ASCII_BYTES = bytes(range(128))
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)


class InputFileError(ValueError):
    """An input or output file that can't be used: empty, truncated, corrupt, or of an unknown format."""


def file_format(path: str | Path) -> str:
    """The format name of ``path`` from its extension, or :class:`InputFileError` listing the supported ones."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputFileError(
            f"{path}: unsupported file type {Path(path).suffix or '(no extension)'!r}; use one of "
            + ", ".join(sorted(FORMATS))
        )
    return fmt


def has_undecodable(text: str) -> bool:
    """Whether ``text`` holds bytes that were invalid in its file's encoding (see the module docstring)."""
    return _UNDECODABLE.search(text) is not None


def _needs(module: str, what: str):
    """Import an optional dependency, or raise an ImportError that says how to install it."""
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"{what} needs {module}: pip install 'pilkada-nlp[batch]'") from None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def escape_formula(value: Any) -> Any:
    """``value`` with the OWASP prefix ``'`` when a spreadsheet would run it as a formula (see the module docstring).

    Text that already starts with ``'`` before such a formula gets one more, so :func:`unescape_formula` is its exact
    inverse for every string.
    """
    return "'" + value if isinstance(value, str) and _FORMULA_RE.match(value) else value


def unescape_formula(value: Any) -> Any:
    """The inverse of :func:`escape_formula`: one leading ``'`` removed where :func:`escape_formula` adds it."""
    return value[1:] if isinstance(value, str) and value.startswith("'") and _FORMULA_RE.match(value[1:]) else value


def _map_text_cells(frame: pd.DataFrame, convert) -> pd.DataFrame:
    """``frame`` with ``convert`` applied to its text cells; ``frame`` itself (no copy) when nothing changes, the
    common case."""
    out = frame
    for position in _text_columns(frame):
        values = frame.iloc[:, position]
        converted = [convert(v) for v in values]
        if any(new is not old for new, old in zip(converted, values)):
            out = out.copy() if out is frame else out
            out.iloc[:, position] = pd.Series(converted, index=frame.index, dtype=object)
    return out


def _text_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the columns that can hold text (object, or pandas' string dtypes); positions, not names, because
    a table may repeat a column name."""
    return [i for i, dtype in enumerate(frame.dtypes) if pd.api.types.is_string_dtype(dtype)]


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`escape_formula` applied to every text cell and column name (a header is a cell too)."""
    return _map_text_cells(frame, escape_formula).set_axis([escape_formula(c) for c in frame.columns], axis=1)


def unescape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`unescape_formula` applied to every text cell and column name."""
    return _map_text_cells(frame, unescape_formula).set_axis([unescape_formula(c) for c in frame.columns], axis=1)


def check_output(dst: str | Path, *inputs: str | Path) -> None:
    """Raise :class:`InputFileError` when writing ``dst`` would overwrite one of ``inputs`` (the same path, a link to
    it, or a hard link), or when ``dst``'s folder is missing: every command that writes a file calls this first."""
    dst = Path(dst)
    for source in inputs:
        source = Path(source)
        same = dst.resolve() == source.resolve() or (dst.exists() and source.exists() and os.path.samefile(dst, source))
        if same:
            raise InputFileError(f"{dst}: the output would overwrite the input {source}; choose another output file")
    if not dst.parent.is_dir():
        raise InputFileError(f"{dst}: the output folder {dst.parent} does not exist")


# --- reading ---------------------------------------------------------------------------------------------------------


@dataclass
class Table:
    """An input table opened for streaming; :func:`open_table` fills it after checking the file.

    ``total_rows`` is exact for Parquet, JSONL and CSV/TSV (counted when the quotes are checked) and an estimate for
    XLSX (the sheet's recorded size); it only feeds the progress bar. ``encoding`` and ``delimiter``
    are set for text files, ``sheet`` (the sheet read) for XLSX.
    """

    path: Path
    format: str
    columns: list[str]
    total_rows: int | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        """DataFrames of at most ``chunksize`` rows, in file order; always at least one (empty for a header only).

        Raises :class:`InputFileError` with a one-line message when the file turns out to be truncated or corrupt, or
        holds a malformed row (use :meth:`chunks_with_errors` to keep such rows).
        """
        for frame, errors in self.chunks_with_errors(chunksize):
            if errors:
                raise InputFileError(f"{self.path}: {next(iter(errors.values()))}")
            yield frame

    def chunks_with_errors(self, chunksize: int) -> Iterator[tuple[pd.DataFrame, dict[int, str]]]:
        """Like :meth:`chunks`, but a CSV/TSV row with more fields than the header is kept, its extra fields joined
        (by the delimiter) into the last column, and reported: each chunk comes with ``{position in the chunk: error}``,
        the error naming the row's line in the file. Scoring flags such rows instead of failing the whole file.
        """
        if chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, got {chunksize}")
        if self.format in ("csv", "tsv"):
            pairs = self._text_chunks(chunksize)
        else:
            reader = {"xlsx": self._xlsx_chunks, "parquet": self._parquet_chunks, "jsonl": self._jsonl_chunks}
            pairs = ((frame, {}) for frame in reader[self.format](chunksize))
        produced = False
        try:
            for pair in pairs:
                produced = True
                yield pair
        except (InputFileError, ImportError):
            raise
        except (ValueError, OSError, UnicodeError, zipfile.BadZipFile, KeyError, EOFError, csv.Error) as error:
            raise InputFileError(
                f"{self.path}: cannot read the file (truncated or corrupt?): {_one_line(error)}"
            ) from None
        if not produced:
            yield pd.DataFrame({column: pd.Series(dtype=object) for column in self.columns}), {}

    def _text_chunks(self, chunksize: int) -> Iterator[tuple[pd.DataFrame, dict[int, str]]]:
        """CSV/TSV records as pandas read them (all text, blank lines skipped, short rows padded with ""), with the
        csv module, which gives each record's line number and lets a row with extra fields through."""
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
        width = len(self.columns)
        with open(self.path, encoding=self.encoding, errors="surrogateescape", newline="") as handle:
            lines = _RecordLines(handle)
            reader = csv.reader(lines, delimiter=self.delimiter)
            next(reader, None)  # the header, read by open_table
            lines.new_record(reader.line_num)
            rows: list[list[str]] = []
            errors: dict[int, str] = {}
            for fields in reader:
                start = lines.record_start
                lines.new_record(reader.line_num)
                if not fields:
                    continue
                if len(fields) > width:
                    errors[len(rows)] = f"{MALFORMED_ROW} (line {start}: {len(fields)} fields, the header has {width})"
                    fields = [*fields[: width - 1], self.delimiter.join(fields[width - 1 :])]
                rows.append(fields + [""] * (width - len(fields)))
                if len(rows) == chunksize:
                    yield unescape_formulas(pd.DataFrame(rows, columns=self.columns, dtype=object)), errors
                    rows, errors = [], {}
            if rows:
                yield unescape_formulas(pd.DataFrame(rows, columns=self.columns, dtype=object)), errors

    def _parquet_chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        import pyarrow.parquet as pq

        with pq.ParquetFile(self.path) as parquet:
            for batch in parquet.iter_batches(batch_size=chunksize):
                yield batch.to_pandas(types_mapper=pd.ArrowDtype)

    def _xlsx_chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        workbook = _open_workbook(self.path)
        try:
            rows = workbook[self.sheet].iter_rows(values_only=True)
            next(rows, None)  # header
            width = len(self.columns)
            buffer: list[list[Any]] = []
            blank: list[list[Any]] = []  # empty rows are kept only when a non-empty row follows them
            for number, row in enumerate(rows, start=2):
                values = list(row[:width]) + [None] * (width - len(row))
                if any(value is not None for value in row[width:]):
                    raise InputFileError(f"{self.path}: row {number} has values beyond the {width} named columns; "
                                         "give every column a header")
                if all(value is None or value == "" for value in values):
                    blank.append(values)
                    continue
                buffer.extend(blank)
                blank.clear()
                buffer.append(values)
                while len(buffer) >= chunksize:
                    yield pd.DataFrame(buffer[:chunksize], columns=self.columns, dtype=object)
                    del buffer[:chunksize]
            if buffer:
                yield pd.DataFrame(buffer, columns=self.columns, dtype=object)
        finally:
            workbook.close()

    def _jsonl_chunks(self, chunksize: int) -> Iterator[pd.DataFrame]:
        buffer: list[dict] = []
        for _, record in _json_records(self.path, self.encoding):
            buffer.append(record)
            if len(buffer) == chunksize:
                yield self._records_frame(buffer)
                buffer = []
        if buffer:
            yield self._records_frame(buffer)

    def _records_frame(self, records: list[dict]) -> pd.DataFrame:
        return pd.DataFrame({key: [r.get(key) for r in records] for key in self.columns}, columns=self.columns,
                            dtype=object)


def open_table(path: str | Path, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    """Check ``path`` and read what streaming needs: format, columns, row-count estimate, encoding and delimiter.

    ``encoding`` overrides detection for text formats (CSV/TSV/JSONL); ``sheet`` names the XLSX sheet to read (default:
    the first). Raises ``FileNotFoundError`` for a missing file, :class:`InputFileError` for an empty, truncated,
    corrupt or unsupported one (a CSV with a quote left open included), or a sheet that isn't there, and
    ``ImportError`` when the format's optional dependency is missing.
    """
    path = Path(path)
    fmt = file_format(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty")
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise InputFileError(f"unknown encoding {encoding!r}") from None
    if sheet is not None and fmt != "xlsx":
        raise InputFileError(f"{path}: a sheet ({sheet!r}) can only be chosen in an .xlsx file")
    try:
        if fmt == "xlsx":
            return _open_xlsx(path, sheet)
        return {"csv": _open_text, "tsv": _open_text, "parquet": _open_parquet, "jsonl": _open_jsonl}[fmt](
            path, fmt, encoding)
    except (InputFileError, ImportError):
        raise
    except (ValueError, OSError, UnicodeError, zipfile.BadZipFile, KeyError, EOFError, csv.Error) as error:
        raise InputFileError(f"{path}: cannot read the file (truncated or corrupt?): {_one_line(error)}") from None


class _RecordLines:
    """The lines of a text file as the csv reader takes them, remembering where the record being read starts, so that
    a malformed row's error can name its line (quotes are checked when the file is opened: ``_checked_row_count``)."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.record_start = 1  # line numbers count from 1

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        return next(self.handle)

    def new_record(self, line_num: int) -> None:
        """The reader finished a record on line ``line_num``: the next starts on the line after it."""
        self.record_start = line_num + 1



def detect_encoding(path: Path) -> tuple[str, int]:
    """``(encoding, newline_count)`` of a text file, in one streaming pass.

    A byte-order mark decides (UTF-8 with BOM, UTF-16). Otherwise the file is UTF-8 when most of its non-ASCII bytes
    form valid UTF-8 (a few broken rows in a UTF-8 export stay UTF-8 and are reported row by row), and cp1252
    (Windows' "ANSI", a superset of latin-1's printable characters) when they don't.
    """
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", 0
        else:
            encoding = ""
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        newlines = invalid = non_ascii = 0
        for block in iter(lambda: handle.read(_BLOCK), b""):
            newlines += block.count(b"\n")
            if encoding:
                continue
            text = decoder.decode(block)
            non_ascii += len(block.translate(None, _ASCII_BYTES))
            if not text.isascii():
                invalid += len(_UNDECODABLE.findall(text))
        invalid += len(_UNDECODABLE.findall(decoder.decode(b"", final=True)))
    if encoding:
        return encoding, newlines
    return ("utf-8" if invalid == 0 or non_ascii - invalid > invalid else "cp1252"), newlines


def _sniff_delimiter(header: str) -> str:
    """The candidate delimiter that splits the header line into the most fields (``,`` when none splits it)."""
    def fields(delimiter: str) -> int:
        return len(next(csv.reader([header], delimiter=delimiter), []))

    best = max(DELIMITERS, key=fields)
    return best if fields(best) > 1 else ","


def _open_text(path: Path, fmt: str, encoding: str | None) -> Table:
    detected, _ = detect_encoding(path)
    encoding = encoding or detected
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle:
        header = handle.readline().rstrip("\r\n")
    if not header.strip():
        raise InputFileError(f"{path}: the first line is empty; a header line with column names is needed")
    delimiter = "\t" if fmt == "tsv" else _sniff_delimiter(header)
    try:
        columns = pd.read_csv(path, sep=delimiter, encoding=encoding, encoding_errors="surrogateescape", dtype=object,
                              nrows=0).columns
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the file is empty") from None
    total = _checked_row_count(path, encoding, delimiter)
    return Table(path, fmt, [unescape_formula(str(c)) for c in columns], total, encoding, delimiter)


@contextmanager
def _field_size_limit(limit: int) -> Iterator[None]:
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _checked_row_count(path: Path, encoding: str, delimiter: str) -> int:
    """The number of data rows, after checking every quote of the file is balanced (one streaming pass).

    pandas accepts a quote left open mid-file and silently merges every line up to the next quote into one cell;
    the csv module in strict mode refuses it, naming the line. Blank lines are not rows (pandas skips them too).
    """
    rows = 0
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle, _field_size_limit(1 << 30):
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            for row in reader:
                rows += bool(row)
        except csv.Error as error:
            raise InputFileError(
                f"{path}: line {reader.line_num}: a quote is left open or misplaced ({_one_line(error)}); truncated or "
                "corrupt? Read as is, it would merge the rows after it (quote whole fields, and double the quotes "
                'inside them: "say ""hi""")'
            ) from None
    return max(rows - 1, 0)


def _open_parquet(path: Path, fmt: str, encoding: str | None) -> Table:
    pa = _needs("pyarrow", "reading .parquet files")
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as parquet:
            return Table(path, fmt, list(parquet.schema_arrow.names), parquet.metadata.num_rows)
    except (pa.ArrowException, OSError, ValueError) as error:  # a damaged footer, or not Parquet at all
        raise InputFileError(
            f"{path}: not a readable Parquet file (truncated or corrupt?): {_one_line(error)}"
        ) from None


def _open_workbook(path: Path):
    openpyxl = _needs("openpyxl", "reading .xlsx files")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InputFileError(
            f"{path}: not a readable XLSX workbook (truncated or corrupt?): {_one_line(error)}"
        ) from None


def _open_xlsx(path: Path, sheet: str | None) -> Table:
    """The first sheet (not the one last active in Excel), or the one named ``sheet``."""
    workbook = _open_workbook(path)
    try:
        names = workbook.sheetnames
        if sheet is not None and sheet not in names:
            raise InputFileError(f"{path}: no sheet named {sheet!r}; the sheets are: {', '.join(names)}")
        sheet = sheet if sheet is not None else names[0]
        worksheet = workbook[sheet]
        header = list(next(worksheet.iter_rows(max_row=1, values_only=True), ()))
        total = (worksheet.max_row - 1) if worksheet.max_row else None
    finally:
        workbook.close()
    while header and header[-1] in (None, ""):
        header.pop()
    if not header:
        raise InputFileError(f"{path}: sheet {sheet!r} is empty; a header row with column names is needed")
    columns: list[str] = []
    for i, value in enumerate(header):
        name = f"Unnamed: {i}" if value in (None, "") else str(value)
        base, n = name, 0
        while name in columns:
            n += 1
            name = f"{base}.{n}"
        columns.append(name)
    return Table(path, "xlsx", columns, total, sheet=sheet)


def _json_records(path: Path, encoding: str | None) -> Iterator[tuple[int, dict]]:
    """``(line_number, object)`` for each non-blank line; :class:`InputFileError` names the first bad line."""
    with open(path, encoding=encoding or "utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                hint = "; the file looks truncated" if not line.endswith("\n") else ""
                raise InputFileError(f"{path}: line {number} is not valid JSON ({error.msg}){hint}") from None
            if not isinstance(record, dict):
                raise InputFileError(f"{path}: line {number} is a JSON {type(record).__name__}, not an object")
            yield number, record


def _open_jsonl(path: Path, fmt: str, encoding: str | None) -> Table:
    if encoding is None:
        with open(path, "rb") as handle:
            encoding = "utf-8-sig" if handle.read(3) == codecs.BOM_UTF8 else "utf-8"
    keys: dict[str, None] = {}
    count = 0
    for _, record in _json_records(path, encoding):  # one pass for the columns: a later row may add a field
        keys.update(dict.fromkeys(record))
        count += 1
    if not keys and not count:
        raise InputFileError(f"{path}: the file holds no JSON objects")
    return Table(path, fmt, list(keys), count, encoding)


# --- writing -------------------------------------------------------------------------------------------------------


def replace_undecodable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with lone surrogates in text cells replaced by U+FFFD, so every writer can encode it."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = [_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in out[column]]
    return out


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, time, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def _jsonl_bytes(frame: pd.DataFrame) -> bytes:
    columns = [str(c) for c in frame.columns]
    lines = []
    for row in zip(*(frame[c].tolist() for c in frame.columns)):
        record = {k: (None if _missing(v) else v) for k, v in zip(columns, row)}
        lines.append(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
    return "".join(lines).encode("utf-8")


def _arrow_table(frame: pd.DataFrame):
    """A pyarrow Table of ``frame``; a column pyarrow can't type (mixed ints and text, say) is stored as text."""
    import pyarrow as pa

    arrays = []
    for column in frame.columns:
        values = frame[column]
        try:
            arrays.append(pa.array(values, from_pandas=True))
        except (pa.ArrowException, TypeError, ValueError, UnicodeError, OverflowError):
            arrays.append(pa.array([None if _missing(v) else _SURROGATE.sub("\ufffd", str(v)) for v in values],
                                   type=pa.string()))
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _common_type(types: list):
    """The type that every part's type of one column converts to: itself, float64 for mixed numbers, else text."""
    import pyarrow as pa

    known = [t for t in types if not pa.types.is_null(t)]
    if not known:
        return pa.string()
    if all(t == known[0] for t in known):
        return known[0]
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in known):
        return pa.float64()
    if all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in known):
        return pa.large_string()
    return pa.string()


def _cast_column(array, target):
    import pyarrow as pa

    if array.type == target:
        return array
    try:
        return array.cast(target)
    except (pa.ArrowException, NotImplementedError):
        return pa.array([None if v is None else str(v) for v in array.to_pylist()], type=target)


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed timestamp, so equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, _FIXED_TIME)
            zinfo_or_arcname.compress_type = self.compression if compress_type is None else compress_type
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = zipfile.ZipInfo.from_file(filename, arcname)
        info.date_time = _FIXED_TIME
        info.external_attr = 0o600 << 16
        info.compress_type = self.compression if compress_type is None else compress_type
        with open(filename, "rb") as source, self.open(info, "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, _BLOCK)


def _xlsx_cell(sheet, value: Any) -> Any:
    """A value openpyxl can write; text becomes a cell typed as text, so a post that looks like a formula (``=...``)
    or an error code (``#N/A``) stays text."""
    if _missing(value):
        return None
    if isinstance(value, str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, _XML_ILLEGAL.sub("", _SURROGATE.sub("\ufffd", value)))
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return value


class PartWriter:
    """Writes scored chunks as numbered part files in ``work_dir`` and joins them into the output format of ``dst``.

    Parts are written to a temporary name, flushed to disk (``fsync``) and renamed, so a part file that exists is
    complete; :meth:`write` returns its row count and sha256 for the caller's checkpoint, and :meth:`check_part`
    verifies them. CSV/TSV/JSONL parts are already in the output format (joining is a byte copy); Parquet and XLSX
    parts are Parquet files. ``escape_formulas`` (default on) neutralises formula-like CSV/TSV cells (module docstring).
    """

    def __init__(self, dst: str | Path, work_dir: str | Path, *, escape_formulas: bool = True) -> None:
        self.dst = Path(dst)
        self.escape_formulas = escape_formulas
        self.format = file_format(self.dst)
        if self.dst.is_dir():  # checked now: the final rename onto a folder would fail only after all the work
            raise InputFileError(f"{self.dst}: is a folder; give the output a file name")
        self.work_dir = Path(work_dir)
        if self.format in ("parquet", "xlsx"):
            _needs("pyarrow", f"writing .{self.format} files")
        if self.format == "xlsx":
            _needs("openpyxl", "writing .xlsx files")
        self.suffix = {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl"}.get(self.format, ".parquet")

    def part(self, index: int) -> Path:
        return self.work_dir / f"part-{index:06d}{self.suffix}"

    def write(self, index: int, frame: pd.DataFrame) -> dict[str, Any]:
        """Write chunk number ``index`` (0-based; part 0 of a text format carries the header).

        Returns ``{"rows": ..., "sha256": ...}`` of the part, for :meth:`check_part`. Raises :class:`InputFileError`
        for an XLSX output with a text longer than a cell holds.
        """
        self.work_dir.mkdir(parents=True, exist_ok=True)
        target = self.part(index)
        temporary = target.with_name(target.name + ".tmp")
        if self.format in ("csv", "tsv", "jsonl"):
            temporary.write_bytes(self._text_bytes(index, frame))
        else:
            import pyarrow.parquet as pq

            if self.format == "xlsx":
                _check_xlsx_lengths(frame)
            pq.write_table(_arrow_table(frame), temporary)
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(self.work_dir)
        return {"rows": len(frame), "sha256": sha256_of(target)}

    def check_part(self, index: int, expected: dict[str, Any]) -> None:
        """Raise :class:`InputFileError` unless part ``index`` exists with the sha256 :meth:`write` returned."""
        part = self.part(index)
        if not part.is_file() or sha256_of(part) != expected.get("sha256"):
            raise InputFileError(f"{part}: the part file is missing or was changed after it was written "
                                 "(truncated or corrupt?); run without --resume")

    def _text_bytes(self, index: int, frame: pd.DataFrame) -> bytes:
        def render(data: pd.DataFrame) -> bytes:
            if self.format == "jsonl":
                return _jsonl_bytes(data)
            return csv_text(escape_formulas(data) if self.escape_formulas else data, header=index == 0,
                            sep="\t" if self.format == "tsv" else ",").encode("utf-8")

        try:
            return render(frame)
        except UnicodeEncodeError:  # undecodable input bytes (lone surrogates): rare, so only then pay for the scan
            return render(replace_undecodable(frame))

    def join(self, n_parts: int, target: str | Path) -> None:
        """Write parts ``0 .. n_parts-1`` into ``target`` (a temporary path; the caller renames it into place)."""
        target = Path(target)
        parts = [self.part(i) for i in range(n_parts)]
        missing = [p.name for p in parts if not p.is_file()]
        if missing:
            raise InputFileError(
                f"{self.work_dir}: part files missing ({', '.join(missing[:3])}); run without --resume"
            )
        if self.format in ("csv", "tsv", "jsonl"):
            with open(target, "wb") as out:
                for part in parts:
                    with open(part, "rb") as source:
                        shutil.copyfileobj(source, out, _BLOCK)
        elif self.format == "parquet":
            self._join_parquet(parts, target)
        else:
            self._join_xlsx(parts, target)

    @staticmethod
    def _join_parquet(parts: list[Path], target: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schemas = [pq.read_schema(part) for part in parts]
        names = schemas[0].names
        schema = pa.schema([(name, _common_type([s.field(name).type for s in schemas])) for name in names])
        with pq.ParquetWriter(target, schema) as writer:
            for part in parts:
                table = pq.read_table(part)
                columns = [_cast_column(table.column(name), schema.field(name).type) for name in names]
                writer.write_table(pa.Table.from_arrays(columns, schema=schema))

    @staticmethod
    def _join_xlsx(parts: list[Path], target: Path) -> None:
        import openpyxl
        import pyarrow.parquet as pq
        from openpyxl.writer.excel import ExcelWriter

        rows = sum(pq.read_metadata(part).num_rows for part in parts)
        if rows + 1 > XLSX_MAX_ROWS:
            raise InputFileError(f"{rows:,} rows don't fit in one XLSX sheet (at most {XLSX_MAX_ROWS - 1:,}); "
                                 "write .csv or .parquet instead")
        workbook = openpyxl.Workbook(write_only=True)
        workbook.properties.created = workbook.properties.modified = datetime(*_FIXED_TIME)
        sheet = workbook.create_sheet("scored")
        sheet.append([_xlsx_cell(sheet, name) for name in pq.read_schema(parts[0]).names])
        for part in parts:
            with pq.ParquetFile(part) as parquet:
                for batch in parquet.iter_batches():
                    for row in zip(*(column.to_pylist() for column in batch.columns)):
                        sheet.append([_xlsx_cell(sheet, value) for value in row])
        with _FixedTimeZip(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(workbook, archive).save()


def csv_text(frame: pd.DataFrame, *, header: bool = True, sep: str = ",") -> str:
    """``frame`` as CSV text with ``\\n`` line ends, every field that holds ``\\r`` or ``\\n`` quoted.

    The csv module quotes only the characters of the line terminator it writes, so a bare ``\\r`` would otherwise be
    written unquoted, and every reader (pandas, Excel) ends the row there. Such chunks (rare) are written with every
    field quoted, which any CSV reader reads back the same.
    """
    has_cr = any(isinstance(v, str) and "\r" in v for c in _text_columns(frame) for v in frame.iloc[:, c])
    return frame.to_csv(index=False, header=header, sep=sep, lineterminator="\n",
                        quoting=csv.QUOTE_ALL if has_cr else csv.QUOTE_MINIMAL)


def _check_xlsx_lengths(frame: pd.DataFrame) -> None:
    """Raise :class:`InputFileError` for a text longer than an XLSX cell holds, instead of letting openpyxl cut it."""
    for position, column in enumerate(frame.columns):
        longest = max((len(v) for v in frame.iloc[:, position] if isinstance(v, str)), default=0)
        if longest > XLSX_MAX_CHARS:
            raise InputFileError(
                f"column {column!r} holds a text of {longest:,} characters; an XLSX cell holds at most "
                f"{XLSX_MAX_CHARS:,}, so it would be cut: write .csv, .jsonl or .parquet instead"
            )


def _fsync(path: Path) -> None:
    """Flush ``path`` (a file, or a folder after a rename in it) to disk, so a checkpoint never names lost data."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        descriptor = os.open(path, flags)
    except OSError:  # folders can't be opened on Windows; nothing to flush there
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_table(frame: pd.DataFrame, path: str | Path, *, escape_formulas: bool = True) -> None:
    """Write a whole (small) DataFrame to ``path`` in the format of its extension, atomically (formula-like CSV/TSV
    cells escaped unless ``escape_formulas=False``)."""
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        writer = PartWriter(path, work, escape_formulas=escape_formulas)
        writer.write(0, frame)
        temporary = work / ("joined" + path.suffix)
        writer.join(1, temporary)
        os.replace(temporary, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def read_table(path: str | Path, *, encoding: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    """A whole (small) table, read with the same detection and checks as streaming.

    Every column comes back as written (CSV/TSV cells as text, so ids like ``007`` keep their zeros), except the
    score columns of a scored file (:data:`SCORE_COLUMNS`), which come back as floats with NaN for the rows that were
    not scored, in every format: ``read_table("scored.csv")["score"].mean()`` works.
    """
    table = open_table(path, encoding=encoding, sheet=sheet)
    return _scores_as_numbers(pd.concat(list(table.chunks(100_000)), ignore_index=True))


def _scores_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Convert :data:`SCORE_COLUMNS` to float64 where every non-empty cell is a number; an input column that merely
    shares the name (``score`` holding text) is left as it is."""
    for column in SCORE_COLUMNS:
        if column not in frame.columns or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column]
        blank = values.map(lambda v: _missing(v) or (isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)
        numbers = pd.to_numeric(values.where(~blank, None), errors="coerce")
        if numbers[~blank].notna().all():
            frame[column] = numbers.astype("float64")
    return frame
