"""The model-directory format: a ``model.json`` manifest beside weight files, all checked before anything is used.

A model directory holds everything needed to use the model and nothing executable:

* ``model.json``: format version, backend name, label order, thresholds, calibration temperature, normaliser version,
  training configuration, data fingerprint and sources, metrics, ``files`` (a sha256 per weight file) and
  ``checksum`` (a sha256 of the manifest's own content, see :func:`manifest_checksum`);
* the weight files named in ``files`` (``.npz`` read with ``allow_pickle=False``, JSON, or safetensors), side by
  side: plain names, no links, and no file in the folder that ``files`` does not list (a backend such as Hugging Face
  ``from_pretrained`` picks up optional files by name, so an unlisted file could change the model unseen).

A model folder may come from anyone, so :func:`read_manifest` trusts nothing in it: the manifest is size-capped,
parsed strictly, validated against one schema (:func:`check_manifest`) and checksummed; every file is size-capped
and hashed before a backend opens it. Every problem is one :class:`ModelFileError` with a one-line message. The
checksums are for integrity (a file changed or corrupted after saving), not authenticity: whoever can write the folder
can rewrite them, so load models only from sources you trust to have trained them.

Pickle-based files (``.pkl``, ``.pickle``, ``.joblib``, ``.bin``, ``.pt``, ``.pth``, ``.ckpt``) are refused outright:
loading them can run arbitrary code.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from pilkada_nlp.labels import FLAG_LABELS, LABELS

MANIFEST = "model.json"
FORMAT_VERSION = 1
UNSAFE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth", ".ckpt")
BACKENDS = ("linear", "transformer", "ensemble", "onnx")
#: Files each backend reads; they must be listed in ``files``.
REQUIRED_FILES = {"linear": ("linear.npz", "vocabulary.json"), "transformer": ("model.safetensors", "config.json"),
                  "ensemble": (), "onnx": ("model.onnx", "tokenizer.json")}
QUANTIZE = (None, "none", "fp32", "int8")
#: Largest ``model.json`` read (the shipped ones are under 30 KB; metrics make them grow, weights never do).
MAX_MANIFEST_BYTES = 4 << 20
#: Largest weight file hashed or read (a base-size fp32 encoder is ~0.5 GB).
MAX_FILE_BYTES = 2 << 30
#: Largest total that the arrays of one ``.npz`` may expand to (a zip can expand a thousandfold).
MAX_NPZ_BYTES = 1 << 30
_SHA256 = re.compile("[0-9a-f]{64}")


class ModelFileError(ValueError):
    """A model directory that can't be used: missing, unlisted, oversized or unsafe files, a failed checksum, or a
    manifest field of the wrong type or out of range. The message is one line and names the file."""


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
                   "max_length", "quantize")


def model_identity(manifest: dict[str, Any]) -> str:
    """sha256 of what defines the model: weight-file checksums, labels, thresholds, calibration, normaliser.

    An ensemble pins its members by this, so a retrain that reproduces the same weights (but a new ``created`` date)
    keeps the ensemble loadable, while any change to what a member computes is refused.
    """
    defining = {field: manifest[field] for field in IDENTITY_FIELDS if field in manifest}
    return hashlib.sha256(json.dumps(defining, sort_keys=True).encode("utf-8")).hexdigest()


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's content without its ``checksum`` field (canonical JSON: sorted keys, no spaces).

    Stored in the manifest itself, so ``model.json`` is checked like every other file, and recomputed by
    :func:`write_manifest` on every save, so a retrain never needs a manual step.
    """
    content = {key: value for key, value in manifest.items() if key != "checksum"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_manifest(directory: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``model.json`` for ``directory``: ``manifest`` plus a sha256 for every other file in it and the
    manifest's own checksum (any stale ``files`` or ``checksum`` is replaced). Returns the manifest written.

    Raises :class:`ModelFileError` when a field is invalid, so a broken training run fails when it saves, not when a
    patrol team loads the model.
    """
    directory = Path(directory)
    content = {key: value for key, value in manifest.items() if key not in ("format_version", "files", "checksum")}
    files = sorted(p for p in directory.iterdir() if p.name != MANIFEST and p.is_file())
    out = {"format_version": FORMAT_VERSION, **content, "files": {p.name: sha256_of(p) for p in files}}
    check_manifest(out, directory / MANIFEST)
    out["checksum"] = manifest_checksum(out)
    (directory / MANIFEST).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def read_manifest(directory: Path, *, verify: bool = True) -> dict[str, Any]:
    """Read and check ``directory/model.json`` and the files it lists; with ``verify``, also their sha256.

    Raises :class:`ModelFileError` naming the offending file or field (see the module docstring for the checks).
    """
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        raise ModelFileError(f"{directory} is not a pilkada-nlp model directory: {MANIFEST} not found")
    manifest = _parse(path)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: unsupported format_version {_shown(manifest.get('format_version'))}")
    unsafe = sorted(p.name for p in directory.iterdir() if p.suffix.lower() in UNSAFE_SUFFIXES)
    if unsafe:
        raise ModelFileError(
            f"{directory} contains pickle-based files {unsafe}; refusing to load (they can execute code). "
            "Save weights as safetensors or .npz instead."
        )
    check_manifest(manifest, path)
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise ModelFileError(
            f"checksum mismatch for {path}: the manifest was edited or corrupted after the model was saved "
            "(save it with pilkada_nlp.models.manifest.write_manifest)"
        )
    for name, expected in manifest["files"].items():
        file = _listed_file(directory, name)
        if verify and sha256_of(file) != expected:
            raise ModelFileError(
                f"checksum mismatch for {file}: the file was changed or corrupted after the model was saved "
                f"(expected sha256 {expected[:12]}…)"
            )
    unlisted = sorted(p.name for p in directory.iterdir()
                      if p.name != MANIFEST and not p.is_dir() and p.name not in manifest["files"])
    if unlisted:
        raise ModelFileError(f"{directory}: files not listed in {MANIFEST}: {', '.join(unlisted[:5])}; "
                             "a model folder holds only the files its manifest checksums")
    return manifest


def _parse(path: Path) -> dict[str, Any]:
    """The manifest as a dict: size-capped, strict JSON (no NaN or Infinity literals)."""
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ModelFileError(f"{path}: {path.stat().st_size:,} bytes, more than a manifest may have "
                             f"({MAX_MANIFEST_BYTES:,})")

    def reject(constant: str) -> None:
        raise ValueError(f"{constant} is not allowed")

    try:
        manifest = json.loads(path.read_text(encoding="utf-8"), parse_constant=reject)
    except (UnicodeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{path}: not valid JSON ({' '.join(str(error).split())[:200]})") from None
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{path}: a JSON object is needed, got a {type(manifest).__name__}")
    return manifest


def _listed_file(directory: Path, name: str) -> Path:
    """The file that ``files`` names, after checking it is a plain, present, regular file of a sane size."""
    file = directory / name
    if file.is_symlink() or not file.is_file():
        raise ModelFileError(f"model file missing: {file}" if not file.is_symlink()
                             else f"{file}: a link; model files must be regular files inside the folder")
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{file}: {size:,} bytes, more than a model file may have ({MAX_FILE_BYTES:,})")
    return file


# --- the schema ------------------------------------------------------------------------------------------------------


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_plain_name(name: object) -> bool:
    """A file name with no folder part: no ``/`` or ``\\``, not ``.``/``..``, no NUL; so it stays in its folder."""
    return (isinstance(name, str) and name not in ("", ".", "..") and not any(c in name for c in "/\\\0:")
            and name == name.strip())


def check_manifest(manifest: dict[str, Any], path: Path) -> None:
    """Raise :class:`ModelFileError` for the first manifest field of the wrong type or out of range.

    Every field a backend or the classifier reads is checked here, once: labels (this package's, any order, no
    repeats), thresholds (one per flag label, finite, in (0, 1]), temperature (finite, > 0), batch sizes and lengths
    (integers >= 1), files (plain names with a sha256, the backend's own files among them) and, for an ensemble, its
    members (weights finite >= 0 summing to > 0, each member's :func:`model_identity`).
    """
    def fail(field: str, expected: str) -> None:
        raise ModelFileError(f"{path}: {field} must be {expected}, got {_shown(manifest.get(field))}")

    backend = manifest.get("backend")
    if backend not in BACKENDS:
        fail("backend", f"one of {', '.join(BACKENDS)}")
    for field in ("name", "normalizer_version"):
        if not isinstance(manifest.get(field), str) or not manifest[field]:
            fail(field, "a non-empty string")
    labels = manifest.get("labels")
    if not isinstance(labels, list) or len(labels) != len(LABELS) or set(labels) != set(LABELS):
        fail("labels", f"this package's labels in any order ({', '.join(LABELS)})")
    thresholds = manifest.get("thresholds")
    if (not isinstance(thresholds, dict) or set(thresholds) != set(FLAG_LABELS)
            or not all(_is_number(v) and 0 < v <= 1 for v in thresholds.values())):
        fail("thresholds", f"a number in (0, 1] for each of {', '.join(FLAG_LABELS)}")
    if not _is_number(manifest.get("temperature", 1.0)) or not manifest.get("temperature", 1.0) > 0:
        fail("temperature", "a finite number > 0")
    for field in ("batch_size", "inference_batch_size"):
        if field in manifest and not (_is_int(manifest[field]) and manifest[field] >= 1):
            fail(field, "an integer >= 1")
    if "max_length" in manifest and not (_is_int(manifest["max_length"]) and 4 <= manifest["max_length"] <= 65_536):
        fail("max_length", "an integer from 4 to 65536")
    if manifest.get("quantize") not in QUANTIZE:
        fail("quantize", "'int8', 'none' or null")
    files = manifest.get("files")
    if (not isinstance(files, dict) or not all(_is_plain_name(k) and k != MANIFEST for k in files)
            or not all(isinstance(v, str) and _SHA256.fullmatch(v) for v in files.values())):
        fail("files", "an object mapping plain file names (no folders) to sha256 hex digests")
    missing = [name for name in REQUIRED_FILES[backend] if name not in files]
    if missing:
        raise ModelFileError(f"{path}: a {backend} model needs {', '.join(missing)} listed in files "
                             f"(transformer weights must be safetensors)")
    if backend == "ensemble":
        _check_members(manifest.get("members"), path)


def _check_members(members: object, path: Path) -> None:
    """An ensemble's ``members``: a non-empty list of ``{model, weight, identity}`` with a usable mixture."""
    expected = "a non-empty list of {model: name or folder, weight: finite number >= 0, identity: hex digest}"
    if not isinstance(members, list) or not members or not all(
        isinstance(m, dict) and isinstance(m.get("model"), str) and m["model"].strip() and "\0" not in m["model"]
        and _is_number(m.get("weight")) and m["weight"] >= 0
        and isinstance(m.get("identity"), str) and _SHA256.fullmatch(m["identity"])
        for m in members
    ):
        raise ModelFileError(f"{path}: members must be {expected}, got {_shown(members)}")
    if not sum(m["weight"] for m in members) > 0:
        raise ModelFileError(f"{path}: the member weights sum to 0; at least one must be > 0")


def check_npz(path: Path) -> None:
    """Refuse an ``.npz`` whose arrays would expand past :data:`MAX_NPZ_BYTES`, before numpy allocates anything.

    Both the zip's recorded sizes and each array header's shape are checked: numpy allocates from the header, and the
    zip reader stops at the recorded size, so together they bound what loading can take.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(info.file_size for info in members)
            if declared > MAX_NPZ_BYTES:
                raise ModelFileError(f"{path}: its arrays expand to {declared:,} bytes, more than allowed "
                                     f"({MAX_NPZ_BYTES:,})")
            for info in members:
                with archive.open(info) as handle:
                    major, _ = np.lib.format.read_magic(handle)
                    read_header = (np.lib.format.read_array_header_1_0 if major == 1
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(handle)
                if math.prod(shape) * dtype.itemsize > info.file_size:
                    raise ModelFileError(f"{path}: array {info.filename} declares shape {shape}, larger than its data")
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(f"{path}: not a readable .npz file ({' '.join(str(error).split())[:200]})") from None
