"""Hardening (issue 13, "wrong results and crashes"; issue 15 item 11): each case found by the probe, reproduced.

Items: 11 DataFrame/set input, 12 flags are single-label, 13 scored numbers read back as numbers, 14 ``--out``
never wipes a folder, 15 one-line errors, 19 explanations in the post's own words; and one contract for empty text.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

import pilkada_nlp
from pilkada_nlp import LABELS, classify, io, load_model
from pilkada_nlp.batch import score_dataframe, score_file
from pilkada_nlp.explain import align, map_explanation
from pilkada_nlp.inputs import MAX_CHARS
from pilkada_nlp.models import Classifier
from pilkada_nlp.predictions import Prediction
from pilkada_nlp.text import normalize

POSTS = ["besok subuh amplop seratus ribu asal coblos nomor dua", "usir semua pendatang dari kampung kita"]


@pytest.fixture(scope="module")
def model(tiny_model_dir) -> Classifier:
    return load_model(tiny_model_dir)


# --- 11: containers whose iteration is not the posts in a fixed order ------------------------------------------------


@pytest.mark.parametrize("bad", [
    pd.DataFrame({"text": POSTS}), set(POSTS), frozenset(POSTS), np.array([POSTS]), {"text": POSTS},
], ids=["DataFrame", "set", "frozenset", "2-D array", "dict"])
@pytest.mark.parametrize("method", ["classify", "predict_proba", "predict"])
def test_tables_sets_and_mappings_are_type_errors(model, bad, method):
    with pytest.raises(TypeError, match="texts must be"):
        getattr(model, method)(bad)


def test_dataframe_error_says_which_column_to_pass(model):
    with pytest.raises(TypeError, match=r"pass the text column, e\.g\. df\['text'\]"):
        classify(pd.DataFrame({"text": POSTS}), model=model)


def test_one_column_of_a_dataframe_still_works(model):
    frame = pd.DataFrame({"text": POSTS})
    assert [p.label for p in classify(frame["text"], model=model)] == [p.label for p in classify(POSTS, model=model)]


# --- 12: flags are single-label, and say so ----------------------------------------------------------------------------


def test_flags_hold_one_label_when_thresholds_pairwise_exceed_one(model):
    """Softmax scores sum to 1, so with every pair of thresholds above 1 no two labels can both pass."""
    strict = Classifier(model.backend, {**model.metadata, "thresholds": {"hoax": 0.51, "hate_speech": 0.51,
                                                                        "illegal_campaign": 0.51}})
    texts = POSTS + ["surat suara sudah dicoblos di gudang kpu usir pendatang amplop seratus ribu"] * 2
    for prediction in classify(texts, model=strict):
        assert len(prediction.flags) <= 1
        assert prediction.label == (prediction.flags[0] if prediction.flags else "benign")


@pytest.mark.parametrize("name", ["default", "transformer", "ensemble"])
def test_shipped_thresholds_allow_two_flags_only_where_documented(name):
    """The README and Prediction docstring name the one shipped model whose thresholds leave pairs open."""
    thresholds = json.loads((pilkada_nlp.models.SHIPPED_DIR / name / "model.json").read_text())["thresholds"]
    flag_labels = [label for label in LABELS if label != "benign"]
    open_pairs = {(a, b) for i, a in enumerate(flag_labels) for b in flag_labels[i + 1:]
                  if thresholds[a] + thresholds[b] <= 1}
    assert bool(open_pairs) == (name == "ensemble")
    assert "single-label" in Prediction.__doc__


# --- 13: a scored file's numbers come back as numbers -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "xlsx", "parquet"])
def test_scored_columns_read_back_numeric(model, tmp_path, fmt):
    pytest.importorskip("pyarrow")
    pytest.importorskip("openpyxl")
    src = tmp_path / "posts.csv"
    pd.DataFrame({"id": ["007", "008", "009"], "text": [POSTS[0], "", POSTS[1]]}).to_csv(src, index=False)
    dst = tmp_path / f"scored.{fmt}"
    score_file(src, dst, text_column="text", model=model, progress=False)
    scored = io.read_table(dst)
    for column in ["score", *(f"score_{label}" for label in LABELS)]:
        assert pd.api.types.is_float_dtype(scored[column]), column
    assert pd.isna(scored["score"][1]) and not pd.isna(scored["score"].mean())
    assert list(scored["id"]) == ["007", "008", "009"]  # other columns stay text


def test_a_text_column_named_score_stays_text(tmp_path):
    path = tmp_path / "notes.csv"
    pd.DataFrame({"score": ["high", "1"], "text": ["a", "b"]}).to_csv(path, index=False)
    assert list(io.read_table(path)["score"]) == ["high", "1"]


# --- empty text: one contract for classify, predict_proba and score (issue 15 item 11) ---------------------------------


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_text_is_benign_unflagged_and_unscored_everywhere(model, empty):
    prediction = classify(empty, model=model)
    assert prediction.label == "benign" and prediction.flags == () and prediction.warning == "empty text"
    assert math.isnan(prediction.score) and all(math.isnan(v) for v in prediction.scores.values())
    assert json.loads(json.dumps(prediction.to_dict()))["scores"] == dict.fromkeys(LABELS)  # valid JSON: null
    assert np.isnan(model.predict_proba([POSTS[0], empty])[1]).all()

    row = score_dataframe(pd.DataFrame({"text": [POSTS[0], empty]}), "text", model=model).iloc[1]
    assert (row["label"], row["flags"], row["error"]) == ("benign", "", "empty text")
    assert all(math.isnan(row[f"score_{label}"]) for label in LABELS) and math.isnan(row["score"])


def test_empty_rows_do_not_change_the_other_rows(model):
    alone = model.predict_proba(POSTS)
    mixed = model.predict_proba(["", POSTS[0], " ", POSTS[1]])
    np.testing.assert_allclose(mixed[[1, 3]], alone, rtol=1e-6)


# --- 19: explanations in the post's own words, at the post's own offsets ------------------------------------------------


def test_alignment_maps_normalised_tokens_to_original_spans():
    text = "wkwk Ridwan Kamil kasih 50rb, anak2 yg gk ikut #PilkadaDamai2024!"
    pairs = [(token.text, text[token.start:token.end]) for token in align(text)]
    assert [token for token, _ in pairs] == normalize(text).split()
    assert pairs[:6] == [("tertawa", "wkwk"), ("tokohpolitik", "Ridwan Kamil"), ("beri", "kasih"),
                         ("nominaluang", "50rb"), (",", ","), ("anak", "anak2")]
    assert ("tidak", "gk") in pairs and ("pilkada", "#PilkadaDamai2024") in pairs and pairs[-1] == ("!", "!")


@pytest.mark.parametrize("text", [
    "", "   ", "!!!", "😂😂👍🏽 mantap", "Rp 100.000 ya", "ＦＵＬＬ ｗｉｄｔｈ 𝐏𝐢𝐥𝐢𝐡", "cek https://bit.ly/abc @budi_01",
    "x\u200by\tz\r\nw", "KPU,Bawaslu...50rb", "a" * 5000,
])
def test_alignment_is_total_and_in_order(text):
    tokens = align(text)
    assert [token.text for token in tokens] == normalize(text).split()
    starts = [token.start for token in tokens]
    assert None not in starts and starts == sorted(starts)
    assert all(0 <= token.start < token.end <= len(text) for token in tokens)


def test_alignment_property_on_awkward_pieces():
    """Random posts made of the pieces normalisation rewrites (names, amounts, hashtags, links, emoji, fancy fonts)
    joined by odd whitespace: every token is aligned, in order, inside the text."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    pieces = ["amplop", "50rb", "Rp", "100.000", "Rp100.000", "#Pilkada2024", "#", "@budi", "https://bit.ly/x",
              "anak2", "yg", "gk", "wkwk", "Ridwan", "Kamil", "Anies", "Baswedan", "PDIP", "!", "...", ",", "😂😂",
              "👍🏽", "\ufe0f", "\u200b", "ＦＵＬＬ", "𝐏𝐢𝐥𝐢𝐡", "bangettt", "KPU,", "(sdh)", "1jt", "no.2", "ß", "ﬁ", "½"]
    separators = [" ", "  ", "\n", "\t", "", "\u00a0", "\u3000"]
    posts = st.lists(st.tuples(st.sampled_from(pieces), st.sampled_from(separators)), max_size=10).map(
        lambda pairs: "".join(piece + separator for piece, separator in pairs))

    @hypothesis.settings(max_examples=200, deadline=None, derandomize=True)
    @hypothesis.given(posts)
    def check(text):
        test_alignment_is_total_and_in_order(text)

    check()


def test_punctuation_and_stopwords_are_not_shown_and_edges_are_trimmed():
    text = "Besok ada AMPLOP 50rb, di gudang KPU!! Sebarkan!"
    pairs = [("nominaluang ,", 0.5), ("di gudang", 0.4), ("!", 0.3), ("yang", 0.25), ("kpu !", 0.2),
             ("amplop", 0.1), ("sebarkan !", 0.05), ("sebarkan", 0.04)]
    explanation, highlights = map_explanation(text, pairs, top_k=10)
    assert explanation == [("50rb", 0.5), ("gudang", 0.4), ("KPU", 0.2), ("AMPLOP", 0.1), ("Sebarkan", 0.05)]
    assert [text[start:end] for start, end, _ in highlights] == ["AMPLOP", "50rb", "gudang", "KPU", "Sebarkan"]


def test_prediction_explanation_uses_the_posts_words_and_offsets(model):
    text = "Besok subuh ada AMPLOP seratus ribu, asal coblos nomor dua ya pak!!"
    prediction = classify(text, model=model, explain=True)
    assert prediction.explanation
    shown = [words for words, _ in prediction.explanation]
    assert all(words in text for words in shown)
    assert not {"ya", "pak", "!", ","} & set(" ".join(shown).lower().split())
    assert prediction.highlights and {text[start:end] for start, end, _ in prediction.highlights} <= set(shown)
    assert json.loads(json.dumps(prediction.to_dict()))["highlights"][0][:2] == list(prediction.highlights[0][:2])


def test_highlight_offsets_point_into_the_callers_text_after_truncation(model):
    text = "kata " * (MAX_CHARS // 5) + "besok subuh AMPLOP seratus ribu asal coblos nomor dua"
    prediction = classify(text, model=model, explain=True)
    assert "truncated" in prediction.warning
    tail = [(start, end) for start, end, _ in prediction.highlights if start > MAX_CHARS // 2]
    assert tail and all(text[start:end] in {w for w, _ in prediction.explanation} for start, end in tail)


# --- 14: --out never wipes a folder that is not a model ---------------------------------------------------------------


def test_out_refuses_folders_that_are_not_models(tmp_path, tiny_model_dir, monkeypatch):
    from training.outdir import OutDirError, check_out

    (tmp_path / "notes.txt").write_text("keep me")
    monkeypatch.chdir(tmp_path)
    for bad in [".", tmp_path, tmp_path / "notes.txt"]:
        with pytest.raises(OutDirError):
            check_out(bad)
    model_plus = tmp_path / "model_plus"
    shutil.copytree(tiny_model_dir, model_plus)
    (model_plus / "thesis.docx").write_text("mine")
    with pytest.raises(OutDirError, match="thesis.docx"):
        check_out(model_plus)
    (tmp_path / "empty").mkdir()
    for fine in [tmp_path / "new", tmp_path / "empty", tiny_model_dir]:
        check_out(fine)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_stage_and_publish_replace_a_model_only_when_done(tmp_path, tiny_model_dir):
    from training.outdir import publish, stage

    out = tmp_path / "model"
    shutil.copytree(tiny_model_dir, out)
    staging = stage(out)
    assert staging.parent == out.parent and not any(staging.iterdir())
    (staging / "model.json").write_text('{"files": {}}')
    assert (out / "linear.npz").is_file()  # untouched until publish
    publish(staging, out)
    assert sorted(p.name for p in out.iterdir()) == ["model.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no staging or old folder left


def test_train_linear_replaces_a_model_and_leaves_nothing_beside_it(tmp_path, tiny_model_dir):
    from tests.conftest import TINY_CORPUS
    from training import train_linear

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = pd.DataFrame([{"text": f"{text} {filler}", "label": label, "source": "synthetic", "origin": "public"}
                         for label in LABELS for text in TINY_CORPUS[label] for filler in ("", "ya", "lho")])
    for split in ("train", "validation", "test", "real_test"):
        rows.to_parquet(corpus / f"{split}.parquet")
    out = tmp_path / "models" / "mine"
    shutil.copytree(tiny_model_dir, out)
    assert train_linear.main(["--corpus", str(corpus), "--out", str(out), "--c-grid", "1"]) == 0
    assert load_model(out).metadata["name"] == "default"  # the new model, loadable
    assert [p.name for p in out.parent.iterdir()] == ["mine"]  # no staging or old folder left beside it


@pytest.mark.parametrize("trainer", ["train_linear", "train_transformer"])
def test_trainers_refuse_a_bad_out_before_reading_anything(tmp_path, trainer, capsys):
    if trainer == "train_transformer":
        pytest.importorskip("transformers")
    import importlib

    module = importlib.import_module(f"training.{trainer}")
    (tmp_path / "data.csv").write_text("precious")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--corpus", str(tmp_path / "no-corpus"), "--out", str(tmp_path)])
    assert exit_info.value.code == 2 and "not a model directory" in capsys.readouterr().err
    config_class = module.LinearConfig if trainer == "train_linear" else module.TransformerConfig
    from training.outdir import OutDirError

    with pytest.raises(OutDirError):  # the API path checks first too (no corpus is read: it doesn't exist)
        module.train(config_class(corpus=str(tmp_path / "no-corpus"), out=str(tmp_path)))
    assert (tmp_path / "data.csv").read_text() == "precious"


# --- 15: one-line errors instead of tracebacks --------------------------------------------------------------------------


def one_line_usage_error(argv: list[str], capsys) -> str:
    from pilkada_nlp.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("Try '"), "a usage error ends with the pointer to --help"
    return lines[0]


@pytest.fixture()
def posts_csv(tmp_path):
    path = tmp_path / "posts.csv"
    pd.DataFrame({"text": POSTS}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"), OSError(28, "No space left on device")],
                         ids=["read-only", "disk-full"])
def test_unwritable_output_is_one_line(tiny_model_dir, posts_csv, tmp_path, monkeypatch, capsys, error):
    def refuse(self, index, frame):
        raise error

    monkeypatch.setattr(io.PartWriter, "write", refuse)
    line = one_line_usage_error(["score", posts_csv, "-o", tmp_path / "out.csv", "--model", tiny_model_dir,
                                 "--quiet"], capsys)
    assert error.strerror in line


def test_a_folder_as_output_is_refused_before_scoring(tiny_model_dir, posts_csv, tmp_path, capsys):
    (tmp_path / "out.csv").mkdir()
    line = one_line_usage_error(["score", posts_csv, "-o", tmp_path / "out.csv", "--model", tiny_model_dir,
                                 "--quiet"], capsys)
    assert "is a folder" in line
    scored = tmp_path / "scored.csv"
    score_file(posts_csv, scored, text_column="text", model=tiny_model_dir, progress=False)
    line = one_line_usage_error(["review-export", scored, "-o", tmp_path / "out.csv", "--model", tiny_model_dir],
                                capsys)
    assert "is a folder" in line


def test_report_path_is_checked_before_scoring(tiny_model_dir, posts_csv, tmp_path, capsys):
    out = tmp_path / "out.csv"
    line = one_line_usage_error(["score", posts_csv, "-o", out, "--model", tiny_model_dir, "--quiet",
                                 "--report", tmp_path / "missing" / "r.html"], capsys)
    assert "does not exist" in line and not out.exists()


def test_corrupt_safetensors_is_one_line(tmp_path, capsys):
    pytest.importorskip("transformers")
    from pilkada_nlp.models.manifest import write_manifest

    broken = tmp_path / "transformer"
    shutil.copytree(pilkada_nlp.models.SHIPPED_DIR / "transformer", broken,
                    ignore=shutil.ignore_patterns("model.safetensors"))
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    manifest = json.loads((broken / "model.json").read_text())
    write_manifest(broken, {k: v for k, v in manifest.items() if k not in ("files", "format_version")})
    line = one_line_usage_error(["classify", "--model", broken, "halo"], capsys)
    assert "cannot load the transformer" in line


@pytest.mark.parametrize("mutate", [
    lambda m: "[]", lambda m: json.dumps(m)[:-3], lambda m: json.dumps({**m, "thresholds": "high"}),
    lambda m: json.dumps({**m, "temperature": "hot"}), lambda m: json.dumps({k: v for k, v in m.items() if k != "labels"}),
], ids=["a list", "cut short", "thresholds a string", "temperature a string", "no labels"])
def test_malformed_manifests_are_one_line(tiny_model_dir, tmp_path, capsys, mutate):
    broken = tmp_path / "model"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "model.json").write_text(mutate(json.loads((tiny_model_dir / "model.json").read_text())))
    with pytest.raises(pilkada_nlp.ModelFileError):
        load_model(broken)
    one_line_usage_error(["classify", "--model", broken, "halo"], capsys)


@pytest.mark.parametrize(("rows", "pending"), [("", 0), ("r1,halo,\n", 1)], ids=["header only", "nothing reviewed"])
def test_review_files_without_reviewed_rows_import_nothing(tmp_path, rows, pending):
    from training.reviews import import_review

    path = tmp_path / "review.csv"
    path.write_text("review_id,text,gold_label\n" + rows)
    counts = import_review(path, annotations_dir=tmp_path / "a", reviewed_dir=tmp_path / "r")
    assert counts == {"reviewed": 0, "pending": pending, "pool_labels": 0, "own_posts": 0}
    assert not (tmp_path / "a").exists() and not (tmp_path / "r").exists()


def test_duplicate_column_names_are_one_line(tiny_model_dir, tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array(["a"]), pa.array(["b"])], names=["text", "text"]), path)
    line = one_line_usage_error(["score", path, "-o", tmp_path / "out.csv", "--model", tiny_model_dir, "--quiet"],
                                capsys)
    assert "'text' appear more than once" in line
    with pytest.raises(KeyError, match="unique"):
        score_dataframe(pd.DataFrame([["a", "b"]], columns=["text", "text"]), "text", model=tiny_model_dir)


def test_input_columns_clashing_with_renamed_ones_are_all_kept(model, tmp_path):
    frame = pd.DataFrame({"text": [POSTS[0]], "label": ["mine"], "input_label": ["also mine"]})
    scored = score_dataframe(frame, "text", model=model)
    assert scored.columns.is_unique
    assert (scored["input_input_label"][0], scored["input_label"][0]) == ("mine", "also mine")
    path = tmp_path / "out.parquet"
    pytest.importorskip("pyarrow")
    src = tmp_path / "in.csv"
    frame.to_csv(src, index=False)
    score_file(src, path, text_column="text", model=model, progress=False)
    assert list(io.read_table(path).columns[:3]) == ["text", "input_input_label", "input_label"]


def test_a_second_run_on_the_same_output_is_refused(model, posts_csv, tmp_path):
    from pilkada_nlp.batch import _claim, work_dir_for

    out = tmp_path / "out.csv"
    held = _claim(out)  # what a running `score` holds
    try:
        with pytest.raises(io.InputFileError, match="another run is writing"):
            score_file(posts_csv, out, text_column="text", model=model, progress=False)
        assert not work_dir_for(out).exists() and not out.exists()
    finally:
        held.close()
    score_file(posts_csv, out, text_column="text", model=model, progress=False)  # free again once it ends
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "posts.csv"]
