"""API keys: who may call the service, and in which role. Only a hash of each key is stored.

A key is a random 256-bit token shown once, when it is made (``pilkada-nlp serve add-key``). The keys file holds, per
key, its name, role and sha256: a plain hash suffices because the keys are random (nothing to guess from a dictionary),
and it lets a request's key be found with one dictionary look-up. Losing the file leaks no key.

Roles: ``reader`` (dashboards: classify, score, model, metrics) and ``reviewer`` (all of that, plus the review queue
and page).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

READER, REVIEWER = "reader", "reviewer"
#: Each role and the roles it includes.
ROLES: dict[str, frozenset[str]] = {READER: frozenset({READER}), REVIEWER: frozenset({READER, REVIEWER})}
KEY_PREFIX = "pk_"


class KeyFileError(ValueError):
    """The keys file is missing, unreadable, or a key can't be added to it."""


@dataclass(frozen=True)
class ApiKey:
    """One key's record (never the key itself)."""

    name: str
    role: str

    def allows(self, role: str) -> bool:
        return role in ROLES[self.role]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> list[dict]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileError(f"keys file not found: {path} (make one with `pilkada-nlp serve add-key`)") from None
    except (OSError, ValueError) as error:
        raise KeyFileError(f"{path}: not a keys file ({error})") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, dict) and {"name", "role", "sha256"} <= k.keys() for k in keys):
        raise KeyFileError(f"{path}: not a keys file (expected {{\"keys\": [{{name, role, sha256}}, ...]}})")
    return keys


def add_key(path: str | Path, name: str, role: str) -> str:
    """Make a key called ``name`` with ``role``, store its hash in ``path`` (created if absent), return the key.

    The file is replaced atomically and readable by its owner only. Raises :class:`KeyFileError` for an unknown
    role or a name already in use.
    """
    path = Path(path)
    if role not in ROLES:
        raise KeyFileError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not name.strip():
        raise KeyFileError("the key needs a name (who uses it, e.g. dashboard-jatim)")
    keys = _read(path) if path.exists() else []
    if any(k["name"] == name for k in keys):
        raise KeyFileError(f"{path}: a key named {name!r} exists already")
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    keys.append({"name": name, "role": role, "sha256": _digest(token),
                 "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"keys": keys}, handle, indent=2)
        handle.write("\n")
    os.replace(partial, path)
    return token


class KeyStore:
    """The keys of one keys file, read once at start: ``lookup(token)`` gives its :class:`ApiKey` or ``None``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._by_digest = {k["sha256"]: ApiKey(k["name"], k["role"]) for k in _read(self.path)}
        unknown = sorted({key.role for key in self._by_digest.values()} - ROLES.keys())
        if unknown:
            raise KeyFileError(f"{self.path}: unknown role(s) {', '.join(unknown)}")

    def __len__(self) -> int:
        return len(self._by_digest)

    def lookup(self, token: str) -> ApiKey | None:
        return self._by_digest.get(_digest(token))
