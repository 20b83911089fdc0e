"""The model-directory format: a ``model.json`` manifest beside weight files, each checked by sha256 on load.

A model directory holds everything needed to use the model and nothing executable:

* ``model.json``: format version, backend name, label order, thresholds, calibration temperature, normaliser version,
  training configuration, data fingerprint and sources, metrics, and ``files``: a sha256 per weight file;
* weight files named in ``files`` (``.npz`` read with ``allow_pickle=False``, JSON, or safetensors).

Pickle-based files (``.pkl``, ``.pickle``, ``.joblib``, ``.bin``, ``.pt``, ``.pth``, ``.ckpt``) are refused outright:
loading them can run arbitrary code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pilkada_nlp.labels import LABELS

MANIFEST = "model.json"
FORMAT_VERSION = 1
UNSAFE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth", ".ckpt")


class ModelFileError(ValueError):
    """A model directory is missing a file, holds an unsafe file, or a file fails its checksum."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large weights don't load twice into memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: The manifest fields that define what a model computes. Everything else (metrics, dates, timings, provenance)
#: describes the model and may change without changing a single score.
IDENTITY_FIELDS = ("backend", "labels", "normalizer_version", "temperature", "thresholds", "files", "members",
                   "max_length", "batch_size")


def model_identity(manifest: dict[str, Any]) -> str:
    """sha256 of what defines the model: weight-file checksums, labels, thresholds, calibration, normaliser.

    An ensemble pins its members by this, so a retrain that reproduces the same weights (but a new ``created`` date)
    keeps the ensemble loadable, while any change to what a member computes is refused.
    """
    defining = {field: manifest[field] for field in IDENTITY_FIELDS if field in manifest}
    return hashlib.sha256(json.dumps(defining, sort_keys=True).encode("utf-8")).hexdigest()


def write_manifest(directory: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``model.json`` for ``directory``, adding a sha256 for every other file in it. Returns the manifest."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {
        "format_version": FORMAT_VERSION,
        **manifest,
        "files": {p.relative_to(directory).as_posix(): sha256_of(p) for p in files},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def read_manifest(directory: Path, *, verify: bool = True) -> dict[str, Any]:
    """Read and check ``directory/model.json``; with ``verify``, check every listed file's sha256.

    Raises :class:`ModelFileError` naming the offending file.
    """
    path = directory / MANIFEST
    if not path.is_file():
        raise ModelFileError(f"{directory} is not a pilkada-nlp model directory: {MANIFEST} not found")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: unsupported format_version {manifest.get('format_version')!r}")
    unsafe = sorted(p.name for p in directory.rglob("*") if p.suffix in UNSAFE_SUFFIXES)
    if unsafe:
        raise ModelFileError(
            f"{directory} contains pickle-based files {unsafe}; refusing to load (they can execute code). "
            "Save weights as safetensors or .npz instead."
        )
    if not set(manifest.get("labels", ())) == set(LABELS):
        raise ModelFileError(f"{path}: labels {manifest.get('labels')} are not this package's labels {list(LABELS)}")
    for name, expected in manifest.get("files", {}).items():
        file = directory / name
        if not file.is_file():
            raise ModelFileError(f"model file missing: {file}")
        if verify and sha256_of(file) != expected:
            raise ModelFileError(
                f"checksum mismatch for {file}: the file was changed or corrupted after the model was saved "
                f"(expected sha256 {expected[:12]}…)"
            )
    return manifest
