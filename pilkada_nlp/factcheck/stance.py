"""Stance of a post towards a matched claim: does it **assert** the claim, **question** it, or **debunk** it?

A post that quotes a hoax to refute it is benign under the guidelines, so a match alone must not make a post a hoax.

Features come from the post *around* the claim: the post and the claim are normalised (:func:`pilkada_nlp.text.normalize`),
every post token that is also a claim token becomes ``_c_`` (runs collapse to one), and what is left (framing words
such as ``benarkah``, ``tidak benar``, ``faktanya``, ``sebarkan``, a ``?``) is hashed as unigrams and bigrams, plus a
few position features (question mark at the end, share of the post that is claim) and two lexicon features (any
of :data:`DEBUNK_CUES` / :data:`QUESTION_CUES` around the claim, so a refutation word never seen in training pairs
still counts). A multinomial logistic regression
over them is trained by ``training/train_stance.py`` and shipped as ``stance_model.npz`` + ``stance_model.json``
(sha256 checked, no pickle). Without the shipped file, cue words decide (:func:`rule_stance`).
"""

from __future__ import annotations

import json
import re
import zlib
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from pilkada_nlp.text import normalize

STANCES = ("asserts", "questions", "debunks")
N_FEATURES = 1 << 15
MODEL_FILE = Path(__file__).with_name("stance_model.npz")
MODEL_MANIFEST = Path(__file__).with_name("stance_model.json")
CLAIM_TOKEN = "_c_"
_WORD = re.compile(r"[\w@]+|\?")

DEBUNK_CUES = ("hoaks", "hoax", "hoaxs", "tidak benar", "salah", "faktanya", "fakta", "klarifikasi", "disinformasi",
               "misinformasi", "keliru", "bantah", "membantah", "dibantah", "menyesatkan", "jangan percaya", "palsu",
               "bohong", "tidak terbukti", "cek fakta", "bukan", "rekayasa")
QUESTION_CUES = ("benarkah", "apa benar", "apakah", "betulkah", "beneran", "emang", "masa", "mohon dicek",
                 "ada yang tahu", "bener gak", "benar tidak", "benar tidak sih")


def _sequence(post: str, claim: str) -> list[str]:
    claim_tokens = set(_WORD.findall(normalize(claim))) - {"?"}
    out: list[str] = []
    for token in _WORD.findall(normalize(post)):
        mapped = CLAIM_TOKEN if token in claim_tokens else token
        if mapped == CLAIM_TOKEN and out and out[-1] == CLAIM_TOKEN:
            continue
        out.append(mapped)
    return out


def feature_names(post: str, claim: str) -> list[str]:
    """The (unhashed) features of one (post, claim) pair."""
    seq = _sequence(post, claim)
    feats = [f"u:{t}" for t in seq if t != CLAIM_TOKEN]
    padded = ["<s>"] + seq + ["</s>"]
    feats += [f"b:{a}|{b}" for a, b in pairwise(padded)]
    feats.append("bias:q_end" if seq and seq[-1] == "?" else "bias:no_q_end")
    if "?" in seq:
        feats.append("bias:has_q")
    own = sum(t != CLAIM_TOKEN for t in seq)
    feats.append(f"bias:own_words_{min(own, 12) // 3}")
    words = " " + " ".join(t for t in seq if t != CLAIM_TOKEN) + " "
    feats += ["cue:debunk" for cue in DEBUNK_CUES if f" {cue} " in words]
    feats += ["cue:question" for cue in QUESTION_CUES if f" {cue} " in words]
    return feats


def features(posts: list[str], claims: list[str]):
    """Hashed feature counts as a scipy CSR matrix ``(n, N_FEATURES)``: log-scaled, rows L2-normalised."""
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for post, claim in zip(posts, claims):
        counts: dict[int, float] = {}
        for name in feature_names(post, claim):
            slot = zlib.crc32(name.encode("utf-8")) % N_FEATURES
            counts[slot] = counts.get(slot, 0.0) + 1.0
        values = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        norm = float(np.linalg.norm(values)) or 1.0
        indices.extend(counts)
        data.extend((values / norm).tolist())
        indptr.append(len(indices))
    return csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
                      shape=(len(posts), N_FEATURES))


def rule_stance(post: str, claim: str) -> str:
    """Cue-word fallback: debunk words around the claim -> debunks; a question -> questions; else asserts."""
    seq = _sequence(post, claim)
    own = " " + " ".join(t for t in seq if t != CLAIM_TOKEN) + " "
    if any(f" {cue} " in own for cue in DEBUNK_CUES):
        return "debunks"
    if "?" in seq or any(f" {cue} " in own for cue in QUESTION_CUES):
        return "questions"
    return "asserts"


@lru_cache(maxsize=1)
def _model() -> tuple[np.ndarray, np.ndarray] | None:
    if not MODEL_FILE.is_file() or not MODEL_MANIFEST.is_file():
        return None
    import hashlib

    manifest = json.loads(MODEL_MANIFEST.read_text(encoding="utf-8"))
    digest = hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest()
    if digest != manifest.get("sha256"):
        raise ValueError(f"{MODEL_FILE}: sha256 does not match {MODEL_MANIFEST.name}; reinstall pilkada-nlp")
    with np.load(MODEL_FILE, allow_pickle=False) as data:
        coef, intercept = data["coef"].astype(np.float32), data["intercept"].astype(np.float32)
    if tuple(manifest.get("classes", ())) != STANCES or coef.shape != (len(STANCES), N_FEATURES):
        raise ValueError(f"{MODEL_FILE}: classes or shape differ from this pilkada-nlp's; reinstall it")
    return coef, intercept


def predict_proba(posts: list[str], claims: list[str]) -> np.ndarray:
    """``(n, 3)`` probabilities in :data:`STANCES` order (one-hot from the rules when no model is shipped)."""
    model = _model()
    if model is None:
        out = np.zeros((len(posts), len(STANCES)))
        for row, (post, claim) in enumerate(zip(posts, claims)):
            out[row, STANCES.index(rule_stance(post, claim))] = 1.0
        return out
    coef, intercept = model
    logits = np.asarray(features(posts, claims) @ coef.T) + intercept
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def predict_stance(posts: list[str], claims: list[str]) -> tuple[list[str], list[float]]:
    """The stance of each post towards its claim, and its probability."""
    if not posts:
        return [], []
    proba = predict_proba(posts, claims)
    best = proba.argmax(axis=1)
    return [STANCES[i] for i in best], [float(proba[r, i]) for r, i in enumerate(best)]
