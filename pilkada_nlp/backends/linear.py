"""The default backend: TF-IDF over word and character n-grams, and one linear layer (multinomial logistic regression).

Saved without pickle: vocabularies as JSON lists (position = column), IDF vectors and weights in ``linear.npz``.
Loading rebuilds scikit-learn vectorisers with a fixed vocabulary, so training and inference extract features with
the same code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize

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


def _vectorizer(kind: str, config: FeatureConfig, vocabulary: list[str] | None = None) -> TfidfVectorizer:
    """A TF-IDF vectoriser for ``kind`` ("word" or "char"); texts are already normalised, so no lower-casing."""
    common = dict(
        lowercase=False, sublinear_tf=True, dtype=np.float32, vocabulary=vocabulary,
        min_df=1 if vocabulary else config.min_df,
    )
    if kind == "word":
        return TfidfVectorizer(
            analyzer="word", token_pattern=r"\S+", ngram_range=tuple(config.word_ngrams),
            max_features=None if vocabulary else config.max_word_features, **common,
        )
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=tuple(config.char_ngrams),
        max_features=None if vocabulary else config.max_char_features, **common,
    )


class CachedCharNgrams:
    """Fast transform for a fitted ``char_wb`` TF-IDF vectoriser.

    ``char_wb`` n-grams never cross a space, so a post's n-grams are the union of its words' n-grams. Words repeat a
    lot, so the column ids of each word are computed once and cached; the result equals ``vectorizer.transform``
    (checked in the tests) at several times the speed.
    """

    def __init__(self, vectorizer: TfidfVectorizer, cache_size: int = 200_000) -> None:
        self._analyze = vectorizer.build_analyzer()
        self._vocabulary = vectorizer.vocabulary_
        self._idf = vectorizer.idf_.astype(np.float32)
        self._cache: dict[str, list[int]] = {}
        self._cache_size = cache_size

    def _word_ids(self, word: str) -> list[int]:
        ids = self._cache.get(word)
        if ids is None:
            vocabulary = self._vocabulary
            ids = [vocabulary[g] for g in self._analyze(word) if g in vocabulary]
            if len(self._cache) < self._cache_size:
                self._cache[word] = ids
        return ids

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        columns: list[int] = []
        indptr = [0]
        for text in texts:
            for word in text.split():
                columns.extend(self._word_ids(word))
            indptr.append(len(columns))
        counts = sp.csr_matrix(
            (np.ones(len(columns), dtype=np.float32), np.asarray(columns, dtype=np.int32), np.asarray(indptr)),
            shape=(len(texts), len(self._idf)),
        )
        counts.sum_duplicates()
        counts.data = (np.log(counts.data) + 1.0) * self._idf[counts.indices]  # sublinear tf × idf, as TfidfVectorizer
        return l2_normalize(counts, copy=False)


class NgramFeatures:
    """Word and character TF-IDF features, concatenated. ``fit`` learns vocabularies and IDF; ``transform`` applies them."""

    def __init__(self, config: FeatureConfig = FeatureConfig()) -> None:
        self.config = config
        self.word: TfidfVectorizer | None = None
        self.char: TfidfVectorizer | None = None
        self._fast_char: CachedCharNgrams | None = None

    def fit(self, texts: list[str]) -> NgramFeatures:
        self.word = _vectorizer("word", self.config).fit(texts)
        self.char = _vectorizer("char", self.config).fit(texts)
        self._fast_char = CachedCharNgrams(self.char)
        return self

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        return sp.hstack([self.word.transform(texts), self._fast_char.transform(texts)], format="csr")

    @property
    def n_word_features(self) -> int:
        return len(self.word.vocabulary_)

    def word_feature_names(self) -> list[str]:
        return list(self.word.get_feature_names_out())

    def to_files(self) -> tuple[dict, dict[str, np.ndarray]]:
        """The JSON vocabulary document and the IDF arrays that together rebuild these features."""
        document = {
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.config).items()},
            "word": self.word.get_feature_names_out().tolist(),
            "char": self.char.get_feature_names_out().tolist(),
        }
        return document, {"word_idf": self.word.idf_, "char_idf": self.char.idf_}

    @classmethod
    def from_files(cls, document: dict, arrays: dict[str, np.ndarray]) -> NgramFeatures:
        config = FeatureConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in document["config"].items()})
        features = cls(config)
        features.word = _vectorizer("word", config, document["word"])
        features.word.idf_ = arrays["word_idf"]
        features.char = _vectorizer("char", config, document["char"])
        features.char.idf_ = arrays["char_idf"]
        features._fast_char = CachedCharNgrams(features.char)
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
        row = self.features.word.transform([text]).tocoo()
        if row.nnz == 0:
            return []
        weights = self.coef[:, row.col]
        others = np.delete(weights, label_index, axis=0).mean(axis=0)
        contribution = row.data * (weights[label_index] - others)
        order = np.argsort(-contribution)[:top_k]
        if self._word_names is None:
            self._word_names = self.features.word_feature_names()
        return [(self._word_names[row.col[i]], round(float(contribution[i]), 4)) for i in order if contribution[i] > 0]

    def save(self, directory: Path) -> None:
        """Write ``vocabulary.json`` and ``linear.npz`` into ``directory``."""
        document, arrays = self.features.to_files()
        (directory / VOCABULARY_FILE).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        np.savez_compressed(directory / WEIGHTS_FILE, coef=self.coef, intercept=self.intercept, **arrays)

    @classmethod
    def load(cls, directory: Path, labels: list[str]) -> LinearBackend:
        """Read a saved backend; arrays are loaded with ``allow_pickle=False``."""
        document = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as arrays:
            arrays = {key: arrays[key] for key in arrays.files}
        features = NgramFeatures.from_files(document, arrays)
        return cls(labels, features, arrays["coef"], arrays["intercept"])
