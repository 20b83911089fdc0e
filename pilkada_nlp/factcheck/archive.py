"""Reading a fact-check archive: CSV / TSV / JSONL / Parquet files, a DataFrame or a list of dicts, checked row by row.

An archive has one row per fact-check with the columns ``claim``, ``verdict``, ``url``, ``date`` and ``source`` (and an
optional ``explanation``); other names are mapped with ``columns={"claim": "title", ...}``. ``url``, ``date``,
``source`` and ``explanation`` may be empty in a row; ``claim`` and ``verdict`` may not.

Bad input never disappears silently:

* a missing column, a file that is not UTF-8, or an unreadable file is a one-line :class:`ArchiveError`;
* rows with an empty claim or verdict, broken text (U+FFFD replacement characters, lone surrogates), or exact
  duplicates (same normalised claim, verdict and url) are skipped, counted and named (first row numbers) in the
  :class:`ReadSummary`; a date that can't be read is cleared, counted and named the same way;
* with ``strict=True`` any of those is an :class:`ArchiveError` naming the rows instead.

Row numbers are 1-based data rows (the CSV header is not counted).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pilkada_nlp.text import normalize

REQUIRED = ("claim", "verdict", "url", "date", "source")
OPTIONAL = ("explanation",)
#: How many row numbers a summary or error names per problem.
SHOWN_ROWS = 10

#: Verdict words of the Indonesian fact-checkers (TurnBackHoax, Cek Fakta, Komdigi) and English ones -> class.
FALSE_VERDICTS = ("salah", "hoaks", "hoax", "disinformasi", "misinformasi", "fitnah", "hasut", "false", "palsu",
                  "keliru", "menyesatkan", "misleading", "fabricated", "fake", "tidak benar")
TRUE_VERDICTS = ("benar", "fakta", "true", "klarifikasi", "bukan hoaks")


class ArchiveError(ValueError):
    """An archive that can't be read as a whole (missing columns, not UTF-8, bad rows with ``strict=True``)."""


def verdict_class(verdict: str) -> str:
    """``"false"`` (the claim was debunked), ``"true"`` or ``"other"`` for a verdict as the checker wrote it."""
    value = " ".join(verdict.lower().replace("[", " ").replace("]", " ").split())
    if value in TRUE_VERDICTS or value.startswith(("benar", "fakta", "true")):
        return "true"
    if any(value == word or value.startswith(word) for word in FALSE_VERDICTS):
        return "false"
    return "other"


_MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "peb": 2, "mar": 3, "maret": 3,
    "march": 3, "apr": 4, "april": 4, "mei": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7,
    "july": 7, "agu": 8, "ags": 8, "agt": 8, "aug": 8, "agustus": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oct": 10, "oktober": 10, "october": 10, "nov": 11, "nop": 11, "november": 11, "des": 12, "dec": 12,
    "desember": 12, "december": 12,
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")
_NAMED = re.compile(r"^(?:\w+,\s*)?(\d{1,2})[\s-]+([A-Za-z]+)\.?[\s-]+(\d{2,4})$")


def parse_date(value: str) -> str | None:
    """ISO ``YYYY-MM-DD`` for ``2024-01-05``, ``05/01/2024``, ``17-Aug-20``, ``2 Januari 2024``; None if unreadable."""
    text = value.strip()
    year = month = day = None
    if m := _ISO.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif (m := _NAMED.match(text)) and m[2].lower() in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[m[2].lower()], int(m[3])
    if year is None:
        return None
    if year < 100:
        year += 2000
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


@dataclass
class Record:
    """One fact-check as stored in an index."""

    claim: str
    verdict: str
    url: str
    date: str | None
    source: str
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "verdict": self.verdict, "url": self.url, "date": self.date,
                "source": self.source, "explanation": self.explanation}


@dataclass
class ReadSummary:
    """What reading an archive kept, skipped and repaired, with the first row numbers of each problem."""

    rows: int = 0
    kept: int = 0
    skipped: dict[str, list[int]] = field(default_factory=dict)
    repaired: dict[str, list[int]] = field(default_factory=dict)

    def note(self, kind: dict[str, list[int]], problem: str, row: int) -> None:
        kind.setdefault(problem, []).append(row)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "kept": self.kept,
            "skipped": {k: {"count": len(v), "rows": v[:SHOWN_ROWS]} for k, v in self.skipped.items()},
            "repaired": {k: {"count": len(v), "rows": v[:SHOWN_ROWS]} for k, v in self.repaired.items()},
        }

    def to_text(self) -> str:
        parts = [f"{self.rows:,} rows read, {self.kept:,} kept"]
        for verb, kind in (("skipped", self.skipped), ("date cleared", self.repaired)):
            for problem, rows in kind.items():
                parts.append(f"{len(rows):,} {verb} ({problem}: rows {_rows(rows)})")
        return "; ".join(parts)


def _rows(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:SHOWN_ROWS]))
    return shown + (f", ... ({len(rows) - SHOWN_ROWS} more)" if len(rows) > SHOWN_ROWS else "")


def _load_table(source: Any) -> tuple[list[dict[str, Any]], list[str], str]:
    """(rows, columns, name) of a path, a DataFrame or a list of dicts."""
    if isinstance(source, (str, Path)):
        return _load_file(Path(source))
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        return source.to_dict("records"), [str(c) for c in source.columns], "archive"
    rows = list(source)
    if not all(isinstance(row, dict) for row in rows):
        raise ArchiveError("records must be a file path, a DataFrame or a list of dicts")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return rows, columns, "archive"


def _load_file(path: Path) -> tuple[list[dict[str, Any]], list[str], str]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such archive file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pandas as pd

        try:
            frame = pd.read_parquet(path)
        except Exception as error:  # noqa: BLE001 (pyarrow raises several unrelated types for corrupt files)
            raise ArchiveError(f"{path}: not a readable Parquet file ({type(error).__name__}: {error})") from None
        return frame.to_dict("records"), [str(c) for c in frame.columns], str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ArchiveError(
            f"{path}: not UTF-8 (byte {error.start}, line {line}); re-save the archive as UTF-8"
        ) from None
    if suffix in (".jsonl", ".ndjson", ".json"):
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ArchiveError(f"{path}: line {number} is not JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise ArchiveError(f"{path}: line {number} is not a JSON object")
            rows.append(row)
        columns = list(dict.fromkeys(key for row in rows for key in row))
        return rows, columns, str(path)
    if suffix in (".csv", ".tsv", ".txt"):
        import csv
        import io

        delimiter = "\t" if suffix == ".tsv" else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            rows = list(reader)
        except csv.Error as error:
            raise ArchiveError(f"{path}: not a readable CSV file (line {reader.line_num}: {error})") from None
        columns = list(reader.fieldnames or [])
        return rows, columns, str(path)
    raise ArchiveError(f"{path}: unsupported archive type {suffix or '(none)'}; use .csv, .tsv, .jsonl or .parquet")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()[:10]
    return str(value)


_BROKEN = re.compile(r"[\ufffd\ud800-\udfff]")


def read_archive(source: Any, *, columns: dict[str, str] | None = None, strict: bool = False,
                 existing: set[tuple[str, str, str]] | None = None) -> tuple[list[Record], ReadSummary]:
    """Read and check an archive (path, DataFrame or list of dicts). Returns the kept records and a summary.

    Args:
        columns: our column name -> the archive's, for the archive's names that differ (``{"claim": "title"}``).
        strict: raise :class:`ArchiveError` naming the rows for any skipped or repaired row.
        existing: duplicate keys already in an index (for :meth:`FactCheckIndex.add`).
    """
    mapping = {name: name for name in REQUIRED + OPTIONAL}
    unknown = sorted(set(columns or {}) - set(mapping))
    if unknown:
        raise ArchiveError(f"columns: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(mapping)}")
    mapping.update(columns or {})
    rows, present, name = _load_table(source)
    missing = [f"{ours!r}" + (f" (as {theirs!r})" if theirs != ours else "")
               for ours, theirs in mapping.items() if ours in REQUIRED and theirs not in present]
    if missing:
        raise ArchiveError(
            f"{name}: missing column(s) {', '.join(missing)}; the columns are: {', '.join(present) or '(none)'}"
            f" (map yours with --column FIELD=NAME, or columns={{'claim': 'title'}})"
        )
    summary = ReadSummary(rows=len(rows))
    seen = set(existing or ())
    records = []
    for number, row in enumerate(rows, 1):
        values = {ours: _cell(row.get(theirs)).strip() for ours, theirs in mapping.items()}
        if not values["claim"]:
            summary.note(summary.skipped, "empty claim", number)
            continue
        if not values["verdict"]:
            summary.note(summary.skipped, "empty verdict", number)
            continue
        if any(_BROKEN.search(values[key]) for key in ("claim", "verdict", "explanation")):
            summary.note(summary.skipped, "broken encoding", number)
            continue
        key = (normalize(values["claim"]), values["verdict"].lower(), values["url"])
        if key in seen:
            summary.note(summary.skipped, "duplicate", number)
            continue
        seen.add(key)
        parsed = parse_date(values["date"]) if values["date"] else None
        if values["date"] and parsed is None:
            summary.note(summary.repaired, "bad date", number)
        records.append(Record(values["claim"], values["verdict"], values["url"], parsed, values["source"],
                              values["explanation"]))
    summary.kept = len(records)
    if strict and (summary.skipped or summary.repaired):
        problems = [f"{problem} in rows {_rows(rows_)}"
                    for kind in (summary.skipped, summary.repaired) for problem, rows_ in kind.items()]
        raise ArchiveError(f"{name}: {'; '.join(problems)}")
    return records, summary
