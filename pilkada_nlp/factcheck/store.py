"""The on-disk format of a fact-check index: every file detail lives here.

An index is a directory::

    INDEX/
      factcheck.sqlite   records(id, claim, verdict, verdict_class, url, date, source, explanation)
                         + records_fts: an FTS5 table over the claim normalised by pilkada_nlp.text.normalize
                         + records_vocab: its fts5vocab (document frequencies, for the lexical similarity)
      vectors.npy        float16 [entries, dim]: row i is the dense vector of record id i + 1
      manifest.json      format, versions, encoder, thresholds, build summaries, and a sha256 per file

Nothing is pickled: the vectors are read with ``allow_pickle=False`` and everything else is SQLite or JSON. Opening
checks the manifest's format name, each file's sha256, the SQLite ``application_id`` and that the row counts agree; a
corrupt or foreign file is refused with a one-line :class:`IndexFileError`. The database is opened read-only
(``mode=ro``) unless the caller asks to write (``add``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from pilkada_nlp.models.manifest import sha256_of

FORMAT = "pilkada-nlp-factcheck"
FORMAT_VERSION = 1
DATABASE = "factcheck.sqlite"
VECTORS = "vectors.npy"
MANIFEST = "manifest.json"
#: ``PRAGMA application_id`` of our databases: "PKFC".
APPLICATION_ID = 0x504B4643
#: FTS5 tokeniser over already-normalised text: ``_`` (``situs_kompas_com``) and ``@`` (``@user``) stay in a token.
FTS_TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '_@'"

SCHEMA = f"""
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {FORMAT_VERSION};
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    claim TEXT NOT NULL,
    verdict TEXT NOT NULL,
    verdict_class TEXT NOT NULL,
    url TEXT NOT NULL,
    date TEXT,
    source TEXT NOT NULL,
    explanation TEXT NOT NULL
);
CREATE VIRTUAL TABLE records_fts USING fts5(norm, tokenize="{FTS_TOKENIZER}");
CREATE VIRTUAL TABLE records_vocab USING fts5vocab(records_fts, 'row');
"""


class IndexFileError(ValueError):
    """A path that is not a fact-check index, or one whose files are corrupt, changed or from another version."""




def create_database(directory: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(directory / DATABASE)
    connection.executescript(SCHEMA)
    return connection


def write_vectors(directory: Path, vectors: np.ndarray) -> None:
    """Write ``vectors.npy`` (float16) atomically."""
    temporary = directory / (VECTORS + ".tmp")
    with open(temporary, "wb") as handle:
        np.save(handle, np.ascontiguousarray(vectors, dtype=np.float16), allow_pickle=False)
    os.replace(temporary, directory / VECTORS)


def write_manifest(directory: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json`` atomically with a fresh sha256 for the database and the vectors."""
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **manifest,
                "files": {name: sha256_of(directory / name) for name in (DATABASE, VECTORS)}}
    temporary = directory / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, directory / MANIFEST)
    return manifest


def index_directory(path: str | Path) -> Path:
    """The index directory for ``path`` (the directory itself, or a file inside it such as ``factcheck.sqlite``)."""
    path = Path(path).expanduser()
    if path.is_file() and path.name in (DATABASE, MANIFEST, VECTORS):
        path = path.parent
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such fact-check index (build one with `pilkada-nlp factcheck build`)")
    if not path.is_dir():
        raise IndexFileError(f"{path}: not a fact-check index (expected a directory holding {MANIFEST})")
    return path


def read_manifest(directory: Path, *, verify: bool = True) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexFileError(f"{directory}: not a fact-check index ({MANIFEST} not found)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IndexFileError(f"{path}: not a fact-check index manifest (not JSON); the index is corrupt, rebuild it") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFileError(f"{path}: not a pilkada-nlp fact-check index manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFileError(
            f"{directory}: index format version {manifest.get('format_version')!r}, this pilkada-nlp reads "
            f"{FORMAT_VERSION}; rebuild the index"
        )
    files = manifest.get("files") or {}
    for name in (DATABASE, VECTORS):
        if not (directory / name).is_file():
            raise IndexFileError(f"{directory}: {name} is missing; the index is incomplete, rebuild it")
        if verify and sha256_of(directory / name) != files.get(name):
            raise IndexFileError(
                f"{directory / name}: sha256 does not match the manifest; the file is corrupt or was changed "
                f"outside pilkada-nlp, rebuild the index"
            )
    return manifest


def open_database(directory: Path, *, writable: bool = False) -> sqlite3.Connection:
    """Open the database (read-only unless ``writable``) and check that it is one of ours."""
    path = directory / DATABASE
    uri = f"{path.resolve().as_uri()}?mode={'rw' if writable else 'ro'}"
    try:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
        (application_id,) = connection.execute("PRAGMA application_id").fetchone()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise IndexFileError(f"{path}: not a readable SQLite database ({error}); rebuild the index") from None
    if application_id != APPLICATION_ID or not {"records", "records_fts", "records_vocab"} <= tables:
        connection.close()
        raise IndexFileError(f"{path}: a SQLite database, but not a pilkada-nlp fact-check index")
    return connection


def read_vectors(directory: Path, entries: int, dim: int) -> np.ndarray:
    path = directory / VECTORS
    try:
        vectors = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise IndexFileError(f"{path}: not a float16 .npy array ({error}); rebuild the index") from None
    if vectors.dtype != np.float16 or vectors.ndim != 2 or vectors.shape != (entries, dim):
        raise IndexFileError(
            f"{path}: holds {vectors.dtype} {vectors.shape}, the manifest says float16 ({entries}, {dim}); rebuild the index"
        )
    return vectors
