"""Stamp model folders saved before manifests carried their own ``checksum`` (issue 13), without retraining.

Nothing changed is blessed: every file a manifest lists must still match its recorded sha256, and an ensemble's member
must still match the manifest hash the ensemble pinned. Then each ``model.json`` is rewritten by
:func:`pilkada_nlp.models.manifest.write_manifest` (same content plus ``checksum``), members before ensembles, and
each ensemble pins its members' rewritten manifests. A retrain needs none of this: ``write_manifest`` stamps it.

    python -m training.rehash_manifests pilkada_nlp/models/{default,transformer,ensemble}
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pilkada_nlp.backends.ensemble import member_directory
from pilkada_nlp.models.manifest import MANIFEST, ModelFileError, sha256_of, write_manifest


def rehash(directories: list[Path]) -> None:
    """Check and rewrite the manifests of ``directories`` (see the module docstring)."""
    manifests = {d.resolve(): json.loads((d / MANIFEST).read_text(encoding="utf-8")) for d in directories}
    before = {d: sha256_of(d / MANIFEST) for d in manifests}
    for directory, manifest in manifests.items():
        for name, expected in manifest.get("files", {}).items():
            if sha256_of(directory / name) != expected:
                raise ModelFileError(f"{directory / name} no longer matches its sha256; retrain instead")
    after: dict[Path, str] = {}
    for directory, manifest in sorted(manifests.items(), key=lambda item: item[1].get("backend") == "ensemble"):
        for entry in manifest.get("members", []):
            path = member_directory(directory, entry["model"]).resolve()
            if path not in after or entry["manifest_sha256"] != before[path]:
                raise ModelFileError(f"{directory}: member {entry['model']!r} was not rehashed with it, or changed")
            entry["manifest_sha256"] = after[path]
        write_manifest(directory, manifest)
        after[directory] = sha256_of(directory / MANIFEST)
        print(f"stamped {directory / MANIFEST}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="+", type=Path)
    rehash(parser.parse_args(argv).directories)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
