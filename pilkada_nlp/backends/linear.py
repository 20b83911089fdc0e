"""The default backend: TF-IDF over word and character n-grams, and one linear layer (multinomial logistic regression).

Saved without pickle: vocabularies as JSON lists (position = column), IDF vectors and weights in ``linear.npz``.
Features are fitted with scikit-learn's ``TfidfVectorizer`` (training only) and applied by :class:`NgramFeatures`
with the same arithmetic, so inference needs neither scikit-learn nor its import time (the tests check both give
the same matrix).
"""

from __future__ import annotations

import json
import string
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from pilkada_nlp.models.manifest import ModelFileError, check_npz

WEIGHTS_FILE = "linear.npz"
VOCABULARY_FILE = "vocabulary.json"


@dataclass(frozen=True)
class FeatureConfig:
    """How n-gram features are extracted; saved with the model so inference extracts the same ones."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    min_df: int = 2
    max_word_features: int = 150_000
    max_char_features: int = 200_000
    #: Leave out tokens made only of punctuation: "...", "!!!" and quotes say how an archive or a platform writes, not
    #: what a post says (on real YouTube comments they were the strongest "hoax" features). Models saved before this
    #: option existed read it as False.
    drop_punctuation: bool = True

def is_punctuation(token: str) -> bool:
    """Whether ``token`` is made only of punctuation (Unicode category P*) or ASCII symbols such as ``*`` and ``|``."""
    return all(unicodedata.category(c).startswith("P") or c in string.punctuation for c in token)


def content_tokens(text: str) -> str:
    """``text`` without its punctuation-only tokens (see ``FeatureConfig.drop_punctuation``)."""
    return " ".join(token for token in text.split() if not is_punctuation(token))


def word_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """Word n-grams of whitespace tokens, as scikit-learn's ``analyzer="word"`` with ``token_pattern=r"\\S+"``."""
    tokens = text.split()
    grams = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_wb_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """Character n-grams of one space-padded word, as scikit-learn's ``analyzer="char_wb"``."""
    padded = f" {word} "
    grams = []
    for n in range(min_n, max_n + 1):
        grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        if len(padded) <= n:  # a short word counts once, at the smallest n that covers it
            break
    return grams


def _tfidf(columns: list[int], indptr: list[int], idf: np.ndarray) -> sp.csr_matrix:
    """Counts -> sublinear tf × idf -> l2-normalised rows (``TfidfVectorizer(sublinear_tf=True)``)."""
    matrix = sp.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), np.asarray(columns, dtype=np.int32), np.asarray(indptr)),
        shape=(len(indptr) - 1, len(idf)),
    )
    return _weigh(matrix, idf)


def _weigh(matrix: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """A matrix of n-gram counts (duplicates allowed) -> sublinear tf × idf -> l2-normalised rows.

    Duplicates are summed and indices sorted first, so two count matrices with the same entries give bit-identical
    results whatever order their entries came in: the fast path relies on it.
    """
    matrix.sum_duplicates()
    matrix.data = (np.log(matrix.data) + 1.0) * idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr)).astype(np.float32)
    return matrix


def _canonical_counts(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int):
    """(indptr, indices, counts) of the count matrix with these (row, column) entries, in canonical form (indices
    sorted within rows, duplicates summed): the matrix ``sum_duplicates`` gives, from one sort of int64 keys."""
    key = np.asarray(rows, dtype=np.int64) * n_columns + np.asarray(columns, dtype=np.int64)
    key.sort()
    if len(key):
        starts = np.concatenate(([0], np.flatnonzero(key[1:] != key[:-1]) + 1))
        counts = np.diff(np.append(starts, len(key))).astype(np.float32)
        key = key[starts]
    else:
        counts = np.zeros(0, dtype=np.float32)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(key // n_columns, minlength=n_rows), out=indptr[1:])
    return indptr, (key % n_columns).astype(np.int32), counts


def _weigh_canonical(indptr: np.ndarray, indices: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """:func:`_weigh` on a canonical count matrix given as arrays, with the same numpy operations on the same values in
    the same order (scipy's ``multiply`` and ``sum(axis=1)`` are an elementwise product and ``np.add.reduceat``), so
    the result is bit-identical, without building scipy matrices."""
    data = (np.log(counts) + 1.0) * idf[indices]
    norms = np.zeros(len(indptr) - 1, dtype=data.dtype)
    filled = np.flatnonzero(np.diff(indptr))
    if len(filled):
        norms[filled] = np.add.reduceat(data * data, indptr[filled])
    norms = np.sqrt(norms)
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, np.diff(indptr)).astype(np.float32)
    return data


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` if it holds ``size`` items, else a copy with at least twice the room."""
    if len(array) >= size:
        return array
    out = np.zeros(max(size, 2 * len(array)), dtype=array.dtype)
    out[: len(array)] = array
    return out


def _fit_tfidf(texts: list[str], analyzer: dict, min_df: int, max_features: int) -> tuple[list[str], np.ndarray]:
    """The ``max_features`` most frequent terms (ties by term) with ``min_df``, and their IDF, in sorted term order."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    counts = CountVectorizer(lowercase=False, min_df=min_df, dtype=np.int64, **analyzer)
    frequencies = np.asarray(counts.fit_transform(texts).sum(axis=0)).ravel()
    terms = counts.get_feature_names_out()
    keep = np.lexsort((terms, -frequencies))[:max_features]  # last key first: frequency, then the term
    vocabulary = sorted(terms[keep].tolist())
    tfidf = TfidfVectorizer(lowercase=False, sublinear_tf=True, dtype=np.float32, vocabulary=vocabulary, **analyzer)
    return vocabulary, tfidf.fit(texts).idf_


#: Batches smaller than this take the reference path: it has less fixed cost than the vectorised one.
SMALL_BATCH = 8


class _WordIndex:
    """The word vocabulary as integer keys: every token of a vocabulary n-gram gets an id, and an n-gram of n ids
    becomes one int64 key (``((id0 · W) + id1) · W + …``), looked up with ``searchsorted`` in one sorted array per n.

    A term never matches a text n-gram unless it is the n-gram's tokens joined by single spaces (tokens hold no
    whitespace), so ``term.split(" ")`` gives exactly the tokens it can match.
    """

    def __init__(self, vocabulary: dict[str, int], lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi
        self.token_ids: dict[str, int] = {}
        grams: dict[int, tuple[list[list[int]], list[int]]] = {n: ([], []) for n in range(lo, hi + 1)}
        setdefault = self.token_ids.setdefault
        for term, column in vocabulary.items():
            parts = term.split(" ")
            if lo <= len(parts) <= hi and "" not in parts:
                grams[len(parts)][0].append([setdefault(part, len(self.token_ids)) for part in parts])
                grams[len(parts)][1].append(column)
        self.width = len(self.token_ids) + 1
        #: False when keys of the longest n-grams would overflow int64: :class:`NgramFeatures` then stays on the
        #: reference path.
        self.usable = self.width ** hi < 2**62
        self.unigram_columns = np.full(self.width, -1, dtype=np.int64)
        self.keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for n, (ids, columns) in grams.items():
            if n == 1:
                self.unigram_columns[[i[0] for i in ids]] = columns
            elif ids and self.usable:
                keys = self.combine(np.asarray(ids, dtype=np.int64).T)
                order = np.argsort(keys, kind="stable")
                self.keys[n] = (keys[order], np.asarray(columns, dtype=np.int64)[order])

    def combine(self, ids) -> np.ndarray:
        key = np.asarray(ids[0], dtype=np.int64)
        for part in ids[1:]:
            key = key * self.width + part
        return key


class NgramFeatures:
    """Word and character TF-IDF features, concatenated. ``fit`` learns vocabularies and IDF; ``transform`` applies them.

    Character n-grams never cross a space, so a post's n-grams are its words' n-grams: each word's column ids are
    computed once and cached, which makes ``transform`` several times faster than recomputing them per post.

    ``transform`` has two paths that give bit-identical matrices (``tests/test_fast_path.py``): the reference path
    (:meth:`transform_reference`, a loop over posts and n-grams, used for small batches) and a vectorised one for
    batches: each distinct token of the batch is looked up once in a token table (its word id and character n-gram
    columns, computed the first time the token is seen and kept for ``cache_size`` tokens), and n-grams, columns and
    rows are then built with numpy for the whole batch.
    """

    def __init__(self, config: FeatureConfig = FeatureConfig(), cache_size: int = 200_000) -> None:
        self.config = config
        self.word_vocabulary: dict[str, int] = {}
        self.char_vocabulary: dict[str, int] = {}
        self.word_idf = np.zeros(0, dtype=np.float32)
        self.char_idf = np.zeros(0, dtype=np.float32)
        self._cache: dict[str, list[int]] = {}
        self._cache_size = cache_size
        self._index: _WordIndex | None = None
        self._idf_all: np.ndarray | None = None
        self._lock = threading.Lock()  # the token table grows in place: one batch at a time may touch it
        self._reset_tokens()

    def __getstate__(self) -> dict:
        return {k: v for k, v in vars(self).items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()

    def fit(self, texts: list[str]) -> NgramFeatures:
        """Choose vocabularies and IDF weights with scikit-learn (imported here: only training needs it).

        The ``max_*_features`` most frequent terms are kept, ties broken by the term itself: scikit-learn breaks them
        by a SIMD argsort whose order differs between CPUs, which made retrains differ from machine to machine.
        """
        c = self.config
        texts = self._prepare(texts)
        word_terms, word_idf = _fit_tfidf(texts, {"analyzer": "word", "token_pattern": r"\S+",
                                                  "ngram_range": tuple(c.word_ngrams)}, c.min_df, c.max_word_features)
        char_terms, char_idf = _fit_tfidf(texts, {"analyzer": "char_wb", "ngram_range": tuple(c.char_ngrams)},
                                          c.min_df, c.max_char_features)
        self._set(word_terms, word_idf, char_terms, char_idf)
        return self

    def _set(self, word_terms: list[str], word_idf, char_terms: list[str], char_idf) -> None:
        self.word_vocabulary = {term: i for i, term in enumerate(word_terms)}
        self.char_vocabulary = {term: i for i, term in enumerate(char_terms)}
        self.word_idf = np.asarray(word_idf, dtype=np.float32)
        self.char_idf = np.asarray(char_idf, dtype=np.float32)
        self._cache.clear()
        self._index = None
        self._idf_all = None
        self._reset_tokens()

    # -- the vectorised path --------------------------------------------------------------------------------------
    def _reset_tokens(self) -> None:
        """Empty the token table: token -> row of ``_token_word`` (word id) and of the character n-gram arrays."""
        self._tokens: dict[str, int] = {}
        self._token_word = np.zeros(1024, dtype=np.int64)
        self._token_punctuation = np.zeros(1024, dtype=bool)
        self._char_start = np.zeros(1024, dtype=np.int64)
        self._char_count = np.zeros(1024, dtype=np.int64)
        self._char_columns = np.zeros(16384, dtype=np.int64)
        self._n_char_columns = 0

    def _add_tokens(self, new: set[str]) -> None:
        index, (lo, hi) = self._index, self.config.char_ngrams
        char_lookup, word_id = self.char_vocabulary.get, index.token_ids.get
        first = len(self._tokens)
        words, counts, columns, punctuation = [], [], [], []
        for token in new:
            self._tokens[token] = len(self._tokens)
            punctuation.append(is_punctuation(token))
            ids = [i for i in map(char_lookup, char_wb_ngrams(token, lo, hi)) if i is not None]
            words.append(word_id(token, -1))
            counts.append(len(ids))
            columns.extend(ids)
        last, end = len(self._tokens), self._n_char_columns + len(columns)
        self._token_word, self._char_start, self._char_count = (
            _grown(self._token_word, last), _grown(self._char_start, last), _grown(self._char_count, last))
        self._token_punctuation = _grown(self._token_punctuation, last)
        self._token_punctuation[first:last] = punctuation
        self._char_columns = _grown(self._char_columns, end)
        self._token_word[first:last] = words
        self._char_count[first:last] = counts
        self._char_start[first:last] = self._n_char_columns + np.cumsum(counts) - counts
        self._char_columns[self._n_char_columns : end] = columns
        self._n_char_columns = end

    def _transform_batch(self, texts: list[str]) -> sp.csr_matrix:
        index = self._index
        if len(self._tokens) > self._cache_size:
            self._reset_tokens()
        rows_tokens = [text.split() for text in texts]
        flat = list(chain.from_iterable(rows_tokens))
        new = set(flat).difference(self._tokens)
        if new:
            self._add_tokens(new)
        tokens = np.fromiter(map(self._tokens.__getitem__, flat), dtype=np.int64, count=len(flat))
        per_row = np.fromiter(map(len, rows_tokens), dtype=np.int64, count=len(rows_tokens))
        row = np.repeat(np.arange(len(texts), dtype=np.int64), per_row)
        if self.config.drop_punctuation:  # as content_tokens: the tokens left become neighbours for n-grams
            keep = ~self._token_punctuation[tokens]
            tokens, row = tokens[keep], row[keep]

        # word n-grams: unigrams by direct lookup, longer n-grams by their int64 keys
        word = self._token_word[tokens]
        rows, columns = [], []
        if index.lo == 1:  # as word_ngrams: unigrams only when the range starts at 1
            unigram = index.unigram_columns[word]  # word -1 reads the last entry, which is -1
            hit = unigram >= 0
            rows.append(row[hit])
            columns.append(unigram[hit])
        for n, (keys, key_columns) in index.keys.items():
            starts = np.arange(max(len(tokens) - n + 1, 0))
            ok = row[starts] == row[starts + n - 1]
            for k in range(n):
                ok &= word[starts + k] >= 0
            starts = starts[ok]
            key = index.combine([word[starts + k] for k in range(n)])
            at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            hit = keys[at] == key
            rows.append(row[starts[hit]])
            columns.append(key_columns[at[hit]])
        word_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        word_columns = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)

        # character n-grams: each token's columns, in token order
        count = self._char_count[tokens]
        offsets = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        char_columns = self._char_columns[np.repeat(self._char_start[tokens], count) + offsets]
        char_rows = np.repeat(row, count)
        blocks = []
        for block_rows, block_columns, idf in ((word_rows, word_columns, self.word_idf),
                                               (char_rows, char_columns, self.char_idf)):
            indptr, indices, counts = _canonical_counts(block_rows, block_columns, len(texts), len(idf))
            matrix = sp.csr_matrix((_weigh_canonical(indptr, indices, counts, idf), indices, indptr),
                                   shape=(len(texts), len(idf)))
            matrix.has_canonical_format = True
            blocks.append(matrix)
        return sp.hstack(blocks, format="csr")

    def _transform_one(self, text: str) -> sp.csr_matrix:
        """One post: the reference path's n-grams (built with zips and C-level lookups), counted and sorted in
        Python, weighed by :func:`_weigh_canonical` on both blocks at once, and one matrix: no per-call batch costs."""
        if self._idf_all is None:
            self._idf_all = np.concatenate([self.word_idf, self.char_idf])
        tokens = text.split()
        lookup, (lo, hi) = self.word_vocabulary.get, self.config.word_ngrams
        word_columns = [i for i in map(lookup, tokens) if i is not None] if lo == 1 else []
        for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
            grams = map(" ".join, zip(*(tokens[k:] for k in range(n))))
            word_columns.extend(i for i in map(lookup, grams) if i is not None)
        char_columns: list[int] = []
        for word in tokens:
            char_columns.extend(self._char_ids(word))
        offset = len(self.word_idf)
        word_counts, char_counts = Counter(word_columns), Counter(char_columns)
        columns = sorted(word_counts) + [offset + c for c in sorted(char_counts)]
        counts = [word_counts[c] for c in columns[: len(word_counts)]] + [char_counts[c - offset] for c in
                                                                          columns[len(word_counts) :]]
        indices = np.array(columns, dtype=np.int64)
        # the two blocks of one row are two "rows" for the weighing: norms are per block, as in the reference
        indptr = np.array([0, len(word_counts), len(columns)], dtype=np.int64)
        data = _weigh_canonical(indptr, indices, np.array(counts, dtype=np.float32), self._idf_all)
        matrix = sp.csr_matrix((data, indices, np.array([0, len(columns)])), shape=(1, len(self._idf_all)))
        matrix.has_canonical_format = True
        return matrix

    def _prepare(self, texts: list[str]) -> list[str]:
        return [content_tokens(text) for text in texts] if self.config.drop_punctuation else texts

    def _char_ids(self, word: str) -> list[int]:
        ids = self._cache.get(word)
        if ids is None:
            lo, hi = self.config.char_ngrams
            ids = [i for i in map(self.char_vocabulary.get, char_wb_ngrams(word, lo, hi)) if i is not None]
            if len(self._cache) < self._cache_size:
                self._cache[word] = ids
        return ids

    def transform_words(self, texts: list[str], prepared: bool = False) -> sp.csr_matrix:
        texts = texts if prepared else self._prepare(texts)
        lookup, (lo, hi) = self.word_vocabulary.get, self.config.word_ngrams
        columns: list[int] = []
        indptr = [0]
        for text in texts:
            columns.extend([i for i in map(lookup, word_ngrams(text, lo, hi)) if i is not None])
            indptr.append(len(columns))
        return _tfidf(columns, indptr, self.word_idf)

    def transform_chars(self, texts: list[str], prepared: bool = False) -> sp.csr_matrix:
        texts = texts if prepared else self._prepare(texts)
        columns: list[int] = []
        indptr = [0]
        for text in texts:
            for word in text.split():
                columns.extend(self._char_ids(word))
            indptr.append(len(columns))
        return _tfidf(columns, indptr, self.char_idf)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        """The TF-IDF matrix of ``texts``: bit-identical to :meth:`transform_reference`, faster on batches."""
        if len(texts) == 1:
            text = texts[0]
            if self.config.drop_punctuation:  # content_tokens, with a C-speed test first: a word is not punctuation
                text = " ".join(t for t in text.split() if t.isalnum() or not is_punctuation(t))
            return self._transform_one(text)
        if len(texts) < SMALL_BATCH:
            return self.transform_reference(texts)
        if self._index is None:  # built on the first batch: one-post calls and cold starts never pay for it
            lo, hi = self.config.word_ngrams
            self._index = _WordIndex(self.word_vocabulary, lo, hi)
        if not self._index.usable:
            return self.transform_reference(texts)
        with self._lock:
            return self._transform_batch(texts)  # drops punctuation-only tokens itself, from the token table

    def transform_reference(self, texts: list[str]) -> sp.csr_matrix:
        """The reference path: word n-grams per post (:func:`word_ngrams`), cached character n-grams per word."""
        texts = self._prepare(texts)
        return sp.hstack([self.transform_words(texts, True), self.transform_chars(texts, True)], format="csr")

    @property
    def n_word_features(self) -> int:
        return len(self.word_vocabulary)

    def word_feature_names(self) -> list[str]:
        return list(self.word_vocabulary)

    def to_files(self) -> tuple[dict, dict[str, np.ndarray]]:
        """The JSON vocabulary document and the IDF arrays that together rebuild these features."""
        document = {
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.config).items()},
            "word": list(self.word_vocabulary),
            "char": list(self.char_vocabulary),
        }
        return document, {"word_idf": self.word_idf, "char_idf": self.char_idf}

    @classmethod
    def from_files(cls, document: dict, arrays: dict[str, np.ndarray]) -> NgramFeatures:
        saved = {"drop_punctuation": False, **document["config"]}  # older models kept punctuation tokens
        config = FeatureConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})
        features = cls(config)
        features._set(document["word"], arrays["word_idf"], document["char"], arrays["char_idf"])
        return features


class LinearBackend:
    """Logits = features(texts) @ coef.T + intercept, one column per label in ``labels`` order."""

    name = "linear"

    def __init__(self, labels: list[str], features: NgramFeatures, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.labels = list(labels)
        self.features = features
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self._coef_t = self.coef.T.copy()
        self._word_names: list[str] | None = None

    def logits(self, texts: list[str]) -> np.ndarray:
        """One row of logits per (normalised) text."""
        return np.asarray(self.features.transform(texts) @ self._coef_t) + self.intercept

    def explain(self, text: str, label_index: int, top_k: int = 5) -> list[tuple[str, float]]:
        """The word n-grams of ``text`` that raise ``label``'s logit most relative to the other labels' average.

        Contribution of n-gram j = tfidf_j × (w[label, j] − mean over other labels of w[·, j]). Character n-grams are
        left out: they are hard to read, and the word n-grams they overlap are shown instead.
        """
        row = self.features.transform_words([text]).tocoo()
        if row.nnz == 0:
            return []
        weights = self.coef[:, row.col]
        others = np.delete(weights, label_index, axis=0).mean(axis=0)
        contribution = np.round(row.data * (weights[label_index] - others), 4)  # rounded first: no 0.0 weights shown
        order = np.argsort(-contribution)[:top_k]
        if self._word_names is None:
            self._word_names = self.features.word_feature_names()
        return [(self._word_names[row.col[i]], float(contribution[i])) for i in order if contribution[i] > 0]

    def save(self, directory: Path) -> None:
        """Write ``vocabulary.json`` and ``linear.npz`` into ``directory``."""
        document, arrays = self.features.to_files()
        (directory / VOCABULARY_FILE).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(directory / WEIGHTS_FILE, coef=self.coef, intercept=self.intercept, **arrays)

    @classmethod
    def load(cls, directory: Path, labels: list[str]) -> LinearBackend:
        """Read a saved backend: the ``.npz`` is size-checked first and loaded with ``allow_pickle=False``, and every
        array's shape must fit the vocabulary and ``labels``, so a mismatched or damaged file fails here, not later."""
        weights = directory / WEIGHTS_FILE
        check_npz(weights)
        try:
            document = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
            with np.load(weights, allow_pickle=False) as arrays:
                arrays = {key: arrays[key] for key in arrays.files}
            features = NgramFeatures.from_files(document, arrays)
        except (ValueError, KeyError, TypeError, OSError, EOFError) as error:
            raise ModelFileError(f"{directory}: unreadable linear model files ({_one_line(error)})") from None
        _check_shapes(directory, labels, features, arrays)
        return cls(labels, features, arrays["coef"], arrays["intercept"])


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


def _check_shapes(directory: Path, labels: list[str], features: NgramFeatures, arrays: dict[str, np.ndarray]) -> None:
    """Raise :class:`ModelFileError` unless coef is (labels, features), intercept (labels,), and each IDF vector is
    as long as its vocabulary: a weight file that doesn't belong to the vocabulary or the label list is refused."""
    n_features = len(features.word_vocabulary) + len(features.char_vocabulary)
    expected = {"coef": (len(labels), n_features), "intercept": (len(labels),),
                "word_idf": (len(features.word_vocabulary),), "char_idf": (len(features.char_vocabulary),)}
    for name, shape in expected.items():
        array = arrays.get(name)
        if array is None or array.shape != shape or not np.issubdtype(array.dtype, np.floating):
            found = "missing" if array is None else f"{array.dtype} {array.shape}"
            raise ModelFileError(
                f"{directory / WEIGHTS_FILE}: array {name} is {found}, expected floats of shape {shape}"
            )
