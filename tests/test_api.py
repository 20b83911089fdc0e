"""The public API contract, on a tiny model trained in the test: shapes, determinism, bad input, save/load."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

import pilkada_nlp
from pilkada_nlp import LABELS, Prediction, classify, load_model
from pilkada_nlp.inputs import MAX_CHARS
from pilkada_nlp.models import ModelFileError

POSTS = [
    "besok subuh amplop seratus ribu asal coblos nomor dua",
    "Bawaslu menerima laporan dugaan politik uang di kecamatan",
    "usir semua pendatang dari kampung kita",
    "surat suara sudah dicoblos di gudang KPU, sebarkan!",
]


@pytest.fixture()
def model(tiny_model_dir):
    return load_model(tiny_model_dir)


def test_single_string_gives_one_prediction(model):
    prediction = classify(POSTS[0], model=model)
    assert isinstance(prediction, Prediction)
    assert prediction.label in LABELS
    assert set(prediction.scores) == set(LABELS)
    assert prediction.score == prediction.scores[prediction.label]


@pytest.mark.parametrize("container", [list, tuple, pd.Series, np.array])
def test_sequences_give_lists_in_order(model, container):
    predictions = classify(container(POSTS), model=model)
    assert isinstance(predictions, list) and len(predictions) == len(POSTS)
    assert [p.label for p in predictions] == [classify(t, model=model).label for t in POSTS]


def test_list_of_one_gives_list_of_one(model):
    assert len(classify([POSTS[0]], model=model)) == 1


def test_scores_sum_to_one_and_flags_follow_thresholds(model):
    for prediction in classify(POSTS, model=model):
        assert math.isclose(sum(prediction.scores.values()), 1.0, rel_tol=1e-9)
        expected = {label for label, t in model.thresholds.items() if prediction.scores[label] >= t}
        assert set(prediction.flags) == expected
        assert prediction.label == (prediction.flags[0] if prediction.flags else "benign")


def test_deterministic(model):
    first = [p.to_dict() for p in classify(POSTS, model=model)]
    second = [p.to_dict() for p in classify(POSTS, model=model)]
    assert first == second


def test_batch_equals_single(model):
    batch = classify(POSTS, model=model)
    singles = [classify(t, model=model) for t in POSTS]
    for b, s in zip(batch, singles):
        assert b.label == s.label
        assert all(math.isclose(b.scores[k], s.scores[k], rel_tol=1e-6, abs_tol=1e-9) for k in LABELS)


def test_batch_larger_than_internal_batch_size_keeps_order(model):
    texts = [POSTS[i % len(POSTS)] + f" {i}" for i in range(model.batch_size * 2 + 3)]
    probabilities = model.predict_proba(texts)
    assert probabilities.shape == (len(texts), len(LABELS))
    np.testing.assert_allclose(probabilities[-1], model.predict_proba([texts[-1]])[0], rtol=1e-6)


def test_sklearn_style_methods(model):
    probabilities = model.predict_proba(POSTS)
    assert probabilities.shape == (4, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert model.predict(POSTS) == [p.label for p in classify(POSTS, model=model)]
    assert model.labels == list(LABELS)
    assert model.metadata["name"] == "tiny"


def test_conversions(model):
    prediction = classify(POSTS[0], model=model, explain=True)
    assert prediction.to_pipeline() == {"label": prediction.label, "score": prediction.score}
    row = prediction.to_row()
    assert [f"score_{label}" in row for label in LABELS] == [True] * 4
    frame = pilkada_nlp.to_frame(classify(POSTS, model=model))
    assert list(frame["label"]) == [p.label for p in classify(POSTS, model=model)]


def test_to_pipeline_top_k_none_gives_every_label_in_the_hugging_face_shape(model):
    prediction = classify(POSTS[0], model=model)
    every = prediction.to_pipeline(top_k=None)
    assert [item["label"] for item in every] == sorted(LABELS, key=lambda label: -prediction.scores[label])
    assert all(set(item) == {"label", "score"} and item["score"] == prediction.scores[item["label"]] for item in every)
    assert prediction.to_pipeline(top_k=2) == every[:2]
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="top_k"):
            prediction.to_pipeline(top_k=bad)


def test_explain_top_caps_the_explanation_and_is_not_called_top_k(model):
    long_post = "amplop seratus ribu coblos nomor dua besok subuh sembako posko syarat pilih bu ratna"
    assert len(classify(long_post, model=model, explain=True).explanation) == 5  # the default
    assert len(classify(long_post, model=model, explain=True, explain_top=1).explanation) == 1
    assert len(model.classify(long_post, explain=True, explain_top=2).explanation) == 2
    for bad in (0, -3, 2.0, None):
        with pytest.raises(ValueError, match="explain_top"):
            model.classify(long_post, explain=True, explain_top=bad)
    with pytest.raises(TypeError):
        model.classify(long_post, explain=True, top_k=2)


def test_explanations_name_ngrams_of_the_text(model):
    prediction = classify(POSTS[0], model=model, explain=True)
    assert prediction.explanation, "expected at least one n-gram"
    for ngram, weight in prediction.explanation:
        assert weight > 0
        assert all(word in pilkada_nlp.text.normalize(POSTS[0]).split() for word in ngram.split())
    assert classify(POSTS[0], model=model).explanation is None


@pytest.mark.parametrize("bad", [None, 42, 3.5, b"bytes", {"text": "x"}])
def test_bad_top_level_input_raises_type_error(model, bad):
    with pytest.raises(TypeError, match="texts must be a str"):
        classify(bad, model=model)


@pytest.mark.parametrize("bad", [None, float("nan"), 7, b"amplop"])
def test_bad_item_names_its_index(model, bad):
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        classify(["ok", bad, "ok"], model=model)


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_text_is_benign_with_warning(model, empty):
    prediction = classify(empty, model=model)
    assert prediction.label == "benign" and prediction.flags == ()
    assert prediction.warning == "empty text"


@pytest.mark.parametrize("text", ["Selamat pagi semua", "Info", "Setuju pak", "Terima kasih Pak, wkwk", "1", "😂"])
def test_no_evidence_no_flag(model, text):
    """A post with nothing to act on is benign even where the model's scores would flag it (issue: generalise)."""
    strict = load_model(model.path)
    original = dict(strict.thresholds)
    try:
        strict.thresholds.update({label: 0.0 for label in strict.thresholds})  # every label would flag
        prediction = classify(text, model=strict)
        assert prediction.label == "benign" and prediction.flags == ()
        assert "no evidence" in prediction.warning
        assert classify("amplop seratus ribu asal coblos nomor dua", model=strict).flags  # content still flags
    finally:
        strict.thresholds.update(original)


def test_huge_text_is_truncated_with_warning(model):
    prediction = classify("amplop " * 200_000, model=model)  # 1.4 MB
    assert "truncated" in prediction.warning
    assert len(classify(["x" * (MAX_CHARS + 10)], model=model)) == 1


def test_lone_surrogates_and_mixed_scripts(model):
    prediction = classify("amplop \ud83d nomor 2", model=model)
    assert prediction.warning == "invalid characters replaced"
    assert classify("Pilih nomor 2 選挙 выборы انتخابات 🗳️", model=model).label in LABELS


def test_model_is_cached(tiny_model_dir):
    assert load_model(tiny_model_dir) is load_model(str(tiny_model_dir))


def test_checksum_mismatch_names_the_file(tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "tampered")
    weights = copy / "linear.npz"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # flip the last byte
    with pytest.raises(ModelFileError, match="checksum mismatch for .*linear.npz"):
        load_model(copy)


def test_pickle_files_are_refused(tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "pickled")
    (copy / "model.pkl").write_bytes(b"not really a pickle")
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(copy)


def test_unknown_model_name():
    with pytest.raises(FileNotFoundError, match="no model named"):
        load_model("no-such-model")


def test_normaliser_version_mismatch_is_refused(tiny_model_dir, tmp_path):
    import json

    from pilkada_nlp.models.manifest import write_manifest

    copy = shutil.copytree(tiny_model_dir, tmp_path / "old")
    manifest = json.loads((copy / "model.json").read_text())
    manifest.pop("files")
    manifest.pop("format_version")
    manifest["normalizer_version"] = "0"
    write_manifest(copy, manifest)
    with pytest.raises(ModelFileError, match="normaliser version"):
        load_model(copy)


def test_features_equal_scikit_learn_tfidf():
    """Inference computes TF-IDF itself (no scikit-learn import); it must equal TfidfVectorizer exactly."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from pilkada_nlp.backends.linear import FeatureConfig, NgramFeatures
    from pilkada_nlp.text import normalize
    from tests.conftest import TINY_CORPUS

    train = [normalize(t) for texts in TINY_CORPUS.values() for t in texts]
    new = [normalize(t) for t in POSTS] + ["", "a", "amplop amplop amplop"]
    features = NgramFeatures(FeatureConfig(min_df=1, drop_punctuation=False)).fit(train)
    common = {"lowercase": False, "sublinear_tf": True, "min_df": 1}
    word = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2), **common).fit(train)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common).fit(train)
    assert abs(features.transform_words(new) - word.transform(new)).max() < 1e-6
    assert abs(features.transform_chars(new) - char.transform(new)).max() < 1e-6


def test_punctuation_only_tokens_are_not_features():
    """ "...", "!!!" and quotes are how a source writes, not what a post says (FeatureConfig.drop_punctuation)."""
    from pilkada_nlp.backends.linear import FeatureConfig, NgramFeatures

    features = NgramFeatures(FeatureConfig(min_df=1)).fit(["halo . . . semua ! !", "sebarkan ! ! \" info \""])
    assert not [term for term in features.word_vocabulary if set(term) <= set(".!\" ")]
    same = features.transform(["halo semua"]) - features.transform(["halo . . . semua ! ! !"])
    assert abs(same).max() == 0


def test_save_load_round_trip_gives_identical_scores(tiny_model_dir, tmp_path):
    import shutil

    from pilkada_nlp.backends.linear import LinearBackend

    backend = LinearBackend.load(tiny_model_dir, list(LABELS))
    backend.save(tmp_path)
    again = LinearBackend.load(tmp_path, list(LABELS))
    np.testing.assert_array_equal(backend.logits(POSTS), again.logits(POSTS))
    shutil.rmtree(tmp_path)
