"""Where a trainer writes its model: never into ``--out`` itself, and never over a folder that is not a model.

A trainer used to empty ``--out`` before saving, so ``--out .`` wiped the current directory. Now:

1. :func:`check_out` runs before training (minutes to hours later would be too late to refuse): ``--out`` must be
   absent, an empty folder, or a model directory: a ``model.json`` whose ``files`` list every other file there, so a
   folder holding anything else (a checkout, notes, data) is refused with a one-line :class:`OutDirError`;
2. :func:`stage` makes a fresh hidden folder beside ``--out``, and the trainer saves into it;
3. :func:`publish` checks ``--out`` again and moves the finished model into place; the old model is deleted only
   after the new one is there. Until then ``--out`` holds the previous model untouched, so an interrupted or failed
   run never leaves half a model (the staging folder, ``.<name>.*.staging``, is what remains).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from pilkada_nlp.models.manifest import MANIFEST


class OutDirError(ValueError):
    """``--out`` names something a trainer must not replace."""


def _unlisted_files(out: Path) -> list[str] | None:
    """Files in ``out`` that its manifest does not list, or ``None`` when ``out`` has no readable manifest."""
    try:
        listed = set(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]) | {MANIFEST}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()}
    return sorted(present - listed)


def check_out(out: str | Path) -> Path:
    """Return ``out`` as a path if a trainer may replace it (see the module docstring); raise :class:`OutDirError`."""
    out = Path(os.path.abspath(out))  # "." gets a name; symlinks are not followed
    if not out.exists() and not out.is_symlink():
        return out
    if not out.is_dir() or out.is_symlink():
        raise OutDirError(f"{out}: exists and is not a folder; choose a new folder name")
    if not any(out.iterdir()):
        return out
    unlisted = _unlisted_files(out)
    if unlisted is None:
        raise OutDirError(f"{out}: the folder is not empty and is not a model directory (no valid {MANIFEST}); "
                          "refusing to replace it. Choose a new or empty folder")
    if unlisted:
        shown = ", ".join(unlisted[:3]) + (f" and {len(unlisted) - 3} more" if len(unlisted) > 3 else "")
        raise OutDirError(f"{out}: holds files that are not part of the model ({shown}); refusing to "
                          "replace it. Move them away or choose another folder")
    return out


def out_argument(value: str) -> str:
    """``argparse`` ``type=`` for a trainer's ``--out``: :func:`check_out` as a one-line usage error."""
    try:
        check_out(value)
    except OutDirError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def stage(out: str | Path) -> Path:
    """A fresh empty folder beside ``out`` (same file system, so :func:`publish` is a rename) to save the model in."""
    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".staging", dir=out.parent))


def publish(staging: Path, out: str | Path) -> Path:
    """Move the finished model in ``staging`` to ``out``, replacing the model there (checked again first)."""
    out = check_out(out)
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.replace(out, old / out.name)  # out is a model directory or empty (checked above)
    os.replace(staging, out)
    if old is not None:
        shutil.rmtree(old)
    return out
