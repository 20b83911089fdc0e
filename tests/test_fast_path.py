"""The fast paths give exactly what their reference paths give: normalisation, n-gram features and classifier outputs.

Compared on fixed hostile strings and on random ones from Hypothesis (:mod:`tests.hostile`); equality is exact
(``==`` on strings, ``array_equal`` on floats), never approximate.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilkada_nlp import load_model
from pilkada_nlp.backends import linear
from pilkada_nlp.text import SUPPORTED_VERSIONS, normalize, normalize_batch, normalize_reference
from tests.conftest import TINY_CORPUS
from tests.hostile import FIXED_CASES, hostile_texts

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_normalize_equals_reference_on_fixed_cases(version):
    for text in FIXED_CASES:
        assert normalize(text, version) == normalize_reference(text, version), repr(text)


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@SETTINGS
@given(text=hostile_texts())
def test_normalize_equals_reference_on_random_hostile_strings(version, text):
    assert normalize(text, version) == normalize_reference(text, version)


def test_normalize_equals_reference_when_the_chunk_cache_is_warm():
    text = "😂😂 mantap 👍🏽 x😂y 😂\u200d"
    first = [normalize(text), normalize(text)]
    assert first == [normalize_reference(text)] * 2


# -- n-gram features and classifier outputs ---------------------------------------------------------------------


def assert_same_matrix(fast, reference):
    assert fast.shape == reference.shape
    assert np.array_equal(fast.indptr, reference.indptr)
    assert np.array_equal(fast.indices, reference.indices)
    assert fast.data.dtype == reference.data.dtype and np.array_equal(fast.data, reference.data)


@pytest.fixture(scope="module", params=["tiny", "default"])
def linear_model(request, tiny_model_dir):
    """The tiny v2 model trained in the tests and the shipped linear model (v1, full vocabulary)."""
    return load_model(tiny_model_dir if request.param == "tiny" else "default")


def check_features(model, texts: list[str]):
    features = model.backend.features
    for inputs in ([normalize(t, model.normalizer_version) for t in texts], texts):  # normalised, and raw
        reference = features.transform_reference(inputs)
        assert_same_matrix(features.transform(inputs), reference)
        for i, text in enumerate(inputs[:3]):
            assert_same_matrix(features.transform([text]), reference[i])


def test_features_equal_reference_on_fixed_cases(linear_model):
    corpus = [t for texts in TINY_CORPUS.values() for t in texts]
    check_features(linear_model, FIXED_CASES + corpus)
    check_features(linear_model, [])
    check_features(linear_model, ["", " ", "", "a", "", "", "", "", ""])


@SETTINGS
@given(texts=st.lists(hostile_texts(), max_size=40))
def test_features_equal_reference_on_random_hostile_batches(linear_model, texts):
    check_features(linear_model, texts)


def test_token_table_overflow_keeps_features_exact(tiny_model_dir):
    features = load_model(tiny_model_dir).backend.features
    small = linear.NgramFeatures(features.config, cache_size=5)
    small._set(list(features.word_vocabulary), features.word_idf, list(features.char_vocabulary), features.char_idf)
    texts = [normalize(t) for t in FIXED_CASES]
    for start in range(0, len(texts), 10):
        batch = texts[start : start + 10]
        assert_same_matrix(small.transform(batch), features.transform_reference(batch))


def test_classifier_outputs_equal_reference(linear_model, monkeypatch):
    from pilkada_nlp.models import classifier

    texts = FIXED_CASES + [t for texts in TINY_CORPUS.values() for t in texts]
    fast = linear_model.predict_proba(texts), linear_model.classify(texts, explain=True)
    singles = [linear_model.classify(t, explain=True) for t in texts]
    monkeypatch.setattr(classifier, "normalize", normalize_reference)
    monkeypatch.setattr(classifier, "normalize_batch", lambda texts, v: [normalize_reference(t, v) for t in texts])
    monkeypatch.setattr(linear.NgramFeatures, "transform", linear.NgramFeatures.transform_reference)
    assert np.array_equal(fast[0], linear_model.predict_proba(texts), equal_nan=True)  # NaN rows: empty texts
    reference = list(map(repr, linear_model.classify(texts, explain=True)))  # repr: exact floats, and NaN == NaN
    assert list(map(repr, fast[1])) == reference
    assert list(map(repr, singles)) == reference


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_normalize_batch_equals_reference_on_fixed_cases(version):
    texts = FIXED_CASES + ["a\x00b", "\x00", "x \x00 y"]
    assert normalize_batch(texts, version) == [normalize_reference(t, version) for t in texts]
    assert normalize_batch([], version) == []


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
@SETTINGS
@given(texts=st.lists(hostile_texts(), max_size=30))
def test_normalize_batch_equals_reference_on_random_hostile_batches(version, texts):
    assert normalize_batch(texts, version) == [normalize_reference(t, version) for t in texts]


def test_batches_from_several_threads_stay_exact(tiny_model_dir):
    from concurrent.futures import ThreadPoolExecutor

    features = linear.NgramFeatures.from_files(*load_model(tiny_model_dir).backend.features.to_files())
    batches = [[normalize(t) + f" kata{i}{j}" for j, t in enumerate(FIXED_CASES[i : i + 20])] for i in range(0, 120, 6)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(features.transform, batches))
    for batch, result in zip(batches, results):
        assert_same_matrix(result, features.transform_reference(batch))
