"""The default backend: TF-IDF over word and character n-grams, and one linear layer (multinomial logistic regression).

Saved without pickle: vocabularies as JSON lists (position = column), IDF vectors and weights in ``linear.npz``.
Features are fitted with scikit-learn's ``TfidfVectorizer`` (training only) and applied by :class:`NgramFeatures`
with the same arithmetic, so inference needs neither scikit-learn nor its import time (the tests check both give
the same matrix).
"""

from __future__ import annotations

import json
import string
import unicodedata
from dataclasses import dataclass
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
    matrix.sum_duplicates()
    matrix.data = (np.log(matrix.data) + 1.0) * idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr)).astype(np.float32)
    return matrix


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


class NgramFeatures:
    """Word and character TF-IDF features, concatenated. ``fit`` learns vocabularies and IDF; ``transform`` applies them.

    Character n-grams never cross a space, so a post's n-grams are its words' n-grams: each word's column ids are
    computed once and cached, which makes ``transform`` several times faster than recomputing them per post.
    """

    def __init__(self, config: FeatureConfig = FeatureConfig(), cache_size: int = 200_000) -> None:
        self.config = config
        self.word_vocabulary: dict[str, int] = {}
        self.char_vocabulary: dict[str, int] = {}
        self.word_idf = np.zeros(0, dtype=np.float32)
        self.char_idf = np.zeros(0, dtype=np.float32)
        self._cache: dict[str, list[int]] = {}
        self._cache_size = cache_size

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
