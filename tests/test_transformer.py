"""The transformer path end to end on a tiny BERT built here: real training script, save, load_model, API and CLI.

The encoder (random init, 2 layers, hidden 64) and its WordPiece tokenizer (trained with ``tokenizers`` on a synthetic
corpus) are made in the test, fine-tuned for a few dozen steps by ``training.train_transformer``, then used exactly
as a user would. Nothing is downloaded.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("datasets")

from pilkada_nlp import LABELS, Prediction, classify, load_model
from pilkada_nlp.backends.transformer import TransformerBackend, encode
from pilkada_nlp.models import ModelFileError, _load
from pilkada_nlp.models.manifest import MANIFEST, write_manifest
from pilkada_nlp.text import normalize
from tests.conftest import REPO, TINY_CORPUS

FILLERS = ["", "hari ini", "kata warga", "di grup wa", "tadi pagi", "menurut kabar", "mohon dicek", "lihat saja"]


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def synthetic_rows(fillers: list[str]) -> pd.DataFrame:
    rows = [{"text": f"{text} {filler}".strip(), "label": label, "source": f"synthetic_{label}", "origin": "public"}
            for label in LABELS for text in TINY_CORPUS[label] for filler in fillers]
    return pd.DataFrame(rows)


def build_tiny_base(directory: Path, texts: list[str]) -> Path:
    """A random-init 2-layer BERT (hidden 64) and a WordPiece tokenizer trained on ``texts``, saved like a hub model."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")),
                                                 ("[SEP]", tokenizer.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=128, max_position_embeddings=128,
                        pad_token_id=tokenizer.token_to_id("[PAD]"))
    directory.mkdir(parents=True)
    BertModel(config).save_pretrained(directory, safe_serialization=True)
    fast.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """Fine-tune the tiny base with the real training script, comparing it with the tiny linear model; returns the
    model directory it wrote (the corpus and the comparison report lie beside it)."""
    from training import train_transformer

    root = tmp_path_factory.mktemp("transformer")
    corpus = root / "corpus"
    corpus.mkdir()
    synthetic_rows(FILLERS[:6]).to_parquet(corpus / "train.parquet")
    synthetic_rows(FILLERS[6:]).to_parquet(corpus / "validation.parquet")
    synthetic_rows(FILLERS[5:7]).to_parquet(corpus / "test.parquet")
    synthetic_rows(FILLERS[7:]).assign(origin="annotated:random").to_parquet(corpus / "real_test.parquet")
    base = build_tiny_base(root / "base", [normalize(t) for t in synthetic_rows(FILLERS)["text"]])
    out = root / "model"
    status = train_transformer.main([
        "--corpus", str(corpus), "--base-model", str(base), "--out", str(out), "--name", "tiny-transformer",
        "--max-length", "24", "--epochs", "30", "--max-steps", "60", "--batch-size", "8", "--learning-rate", "2e-3",
        "--eval-every", "20", "--patience", "5", "--seed", "1",
        "--compare-with", str(tiny_model_dir), "--report", str(root / "comparison.md"),
    ])
    assert status == 0
    return out


def authored_sample(n: int = 60) -> list[str]:
    frames = [pd.read_csv(path) for path in sorted((REPO / "data" / "authored").glob("*.csv"))]
    return pd.concat(frames)["text"].sample(n, random_state=0).tolist()


def copy_model(source: Path, destination: Path, **changes) -> Path:
    """Copy a model directory, optionally changing manifest fields (checksums rewritten)."""
    shutil.copytree(source, destination)
    manifest = json.loads((destination / MANIFEST).read_text())
    manifest = {k: v for k, v in manifest.items() if k not in ("files", "format_version")}
    (destination / MANIFEST).unlink()
    write_manifest(destination, {**manifest, **changes})
    return destination


def test_training_writes_a_complete_checksummed_directory(trained_dir):
    names = {p.name for p in trained_dir.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", MANIFEST} <= names
    assert not any(name.endswith((".bin", ".pt", ".pkl")) for name in names)
    manifest = json.loads((trained_dir / MANIFEST).read_text())
    assert manifest["backend"] == "transformer" and manifest["labels"] == list(LABELS)
    assert manifest["id2label"] == {str(i): label for i, label in enumerate(LABELS)}
    assert manifest["normalizer_version"] and manifest["max_length"] == 24
    assert "model.safetensors" in manifest["files"] and "tokenizer.json" in manifest["files"]
    assert {"validation", "test", "real_test"} <= set(manifest["metrics"])
    assert manifest["training"]["history"], "one log entry per evaluation"
    config = json.loads((trained_dir / "config.json").read_text())
    assert config["id2label"] == {str(i): label for i, label in enumerate(LABELS)}


def test_comparison_scores_linear_transformer_and_ensemble_on_the_same_rows(trained_dir):
    comparison = json.loads((trained_dir / MANIFEST).read_text())["comparison"]
    transformer = json.loads((trained_dir / MANIFEST).read_text())["metrics"]
    for split in ("validation", "test", "real_test"):
        sizes = {comparison["linear"][split]["n"], comparison["ensemble"][split]["n"], transformer[split]["n"]}
        assert len(sizes) == 1
        assert set(comparison["ensemble"][split]["per_label"]) == set(LABELS)
    report = (trained_dir.parent / "comparison.md").read_text()
    assert report.count("| linear (default) |") == 3 and report.count("| ensemble (mean) |") == 3
    assert "**Decision rule**" in report


@pytest.fixture(scope="module")
def ensemble_dir(trained_dir, tiny_model_dir, tmp_path_factory) -> Path:
    """An ensemble of the tiny linear and tiny transformer models, weighted 1:3, built by ``training.ensemble``."""
    from training import ensemble

    out = tmp_path_factory.mktemp("ensemble") / "model"
    status = ensemble.main(["--members", str(tiny_model_dir), str(trained_dir), "--weights", "1", "3",
                            "--corpus", str(trained_dir.parent / "corpus"), "--out", str(out)])
    assert status == 0
    return out


def test_ensemble_is_the_weighted_mean_of_its_members(ensemble_dir, trained_dir, tiny_model_dir):
    assert [p.name for p in ensemble_dir.iterdir()] == [MANIFEST], "an ensemble ships no weights of its own"
    posts = [t for label in LABELS for t in TINY_CORPUS[label]] + ["", "halo semua"]
    expected = (load_model(tiny_model_dir).predict_proba(posts) + 3 * load_model(trained_dir).predict_proba(posts)) / 4
    model = load_model(ensemble_dir)
    np.testing.assert_allclose(model.predict_proba(posts), expected, atol=1e-6)
    manifest = model.metadata
    assert manifest["backend"] == "ensemble" and set(manifest["thresholds"]) == set(LABELS) - {"benign"}
    assert {"validation", "test", "real_test"} <= set(manifest["metrics"])
    predictions = classify(posts, model=model, explain=True)
    assert [p.label in LABELS for p in predictions] == [True] * len(posts)
    text = normalize(posts[6])
    assert all(word in text.split() for word, _ in predictions[6].explanation)


def test_ensemble_refuses_a_member_changed_after_tuning(trained_dir, tiny_model_dir, tmp_path):
    from training import ensemble

    linear = copy_model(tiny_model_dir, tmp_path / "linear")
    transformer = copy_model(trained_dir, tmp_path / "transformer")
    ensemble.main(["--members", str(linear), str(transformer), "--corpus", str(trained_dir.parent / "corpus"),
                   "--out", str(tmp_path / "ensemble")])
    members = json.loads((tmp_path / "ensemble" / MANIFEST).read_text())["members"]
    assert [m["model"] for m in members] == ["../linear", "../transformer"], "members are found relative to it"
    shutil.rmtree(linear)
    copy_model(tiny_model_dir, linear, created="a retrain that reproduced the weights", training_seconds=1.0)
    assert load_model(tmp_path / "ensemble").backend.members, "a reproduced member keeps the ensemble loadable"
    shutil.rmtree(linear)
    copy_model(tiny_model_dir, linear, thresholds={label: 0.9 for label in LABELS if label != "benign"})
    _load.cache_clear()  # load_model caches by directory; the directory now holds another model
    with pytest.raises(ModelFileError, match="not the model this ensemble was tuned with"):
        load_model(tmp_path / "ensemble")


def test_classify_through_the_api(trained_dir):
    model = load_model(trained_dir)
    posts = [t for label in LABELS for t in TINY_CORPUS[label]]
    predictions = classify(posts, model=model, explain=True)
    assert len(predictions) == len(posts) and all(isinstance(p, Prediction) for p in predictions)
    for p in predictions:
        assert p.label in LABELS and math.isclose(sum(p.scores.values()), 1.0, rel_tol=1e-9)
        assert all(isinstance(w, str) and isinstance(c, float) for w, c in p.explanation)
    accuracy = np.mean([p.label == label for p, label in zip(predictions, [l for l in LABELS for _ in TINY_CORPUS[l]])])
    assert accuracy >= 0.75, "a few dozen steps fit the training posts"
    single = classify(posts[0], model=model)
    assert isinstance(single, Prediction) and single.label == predictions[0].label
    assert classify([""], model=model)[0].warning == "empty text"


def test_batches_sorted_by_length_keep_order(trained_dir):
    backend = load_model(trained_dir).backend
    texts = [normalize(t) for t in authored_sample(20)]
    together = backend.logits(texts)
    assert together.shape == (len(texts), len(LABELS))
    alone = np.vstack([backend.logits([t]) for t in texts])
    np.testing.assert_allclose(together, alone, rtol=1e-4, atol=1e-4)


def test_explain_returns_words_of_the_text(trained_dir):
    backend = load_model(trained_dir).backend
    text = normalize(TINY_CORPUS["illegal_campaign"][0])
    pairs = backend.explain(text, LABELS.index("illegal_campaign"), top_k=3)
    assert len(pairs) <= 3 and all(word in text.split() and weight > 0 for word, weight in pairs)


def test_cli_classifies_with_model_dir(trained_dir, capsys):
    from pilkada_nlp.cli import main

    assert main(["classify", "--json", "--explain", "--model", str(trained_dir), TINY_CORPUS["hoax"][0], "halo"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and all(row["label"] in LABELS for row in rows)


def test_long_posts_keep_head_and_tail(trained_dir):
    tokenizer = load_model(trained_dir).backend.tokenizer
    words = [f"kata{i}" for i in range(100)]
    ids = encode(tokenizer, [" ".join(["awal"] + words + ["akhir"])], 16)[0]
    assert len(ids) == 16
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    decoded = tokenizer.decode(ids, skip_special_tokens=True)
    assert decoded.startswith("awal") and decoded.endswith("akhir")


def test_int8_agrees_with_fp32(trained_dir, tmp_path):
    fp32 = load_model(trained_dir)
    int8 = load_model(copy_model(trained_dir, tmp_path / "int8", quantize="int8"))
    assert ".quantized." in type(int8.backend.model.bert.encoder.layer[0].attention.self.query).__module__
    # the posts this tiny model was fitted on: on unrelated posts it sits near ties, where int8 noise flips labels
    # (the shipped transformer agreed on 96% of 200 authored posts; docs/transformer_comparison.md has its metrics)
    sample = synthetic_rows(FILLERS)["text"].tolist()
    agree = np.mean([a == b for a, b in zip(fp32.predict(sample), int8.predict(sample))])
    assert agree >= 0.95


def test_pickle_weights_are_refused(trained_dir, tmp_path):
    broken = copy_model(trained_dir, tmp_path / "pickled")
    (broken / "model.safetensors").rename(broken / "pytorch_model.bin")
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(broken)


def test_missing_safetensors_is_refused(trained_dir, tmp_path):
    broken = tmp_path / "nosafetensors"
    shutil.copytree(trained_dir, broken)
    (broken / "model.safetensors").unlink()
    manifest = json.loads((broken / MANIFEST).read_text())
    manifest["files"].pop("model.safetensors")
    (broken / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="safetensors"):
        load_model(broken)


def test_bad_checksum_is_refused(trained_dir, tmp_path):
    broken = tmp_path / "tampered"
    shutil.copytree(trained_dir, broken)
    data = bytearray((broken / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (broken / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(broken)


def test_backend_logits_follow_manifest_label_order(trained_dir):
    manifest = json.loads((trained_dir / MANIFEST).read_text())
    backend = TransformerBackend.load(trained_dir, manifest)
    reversed_backend = TransformerBackend(list(reversed(LABELS)), backend.model, backend.tokenizer, 24)
    texts = [normalize(TINY_CORPUS["hoax"][0])]
    np.testing.assert_allclose(reversed_backend.logits(texts), backend.logits(texts)[:, ::-1], rtol=1e-5)


def test_quantize_at_load_reaches_ensemble_members(ensemble_dir, tiny_model_dir):
    model = load_model(ensemble_dir, quantize="int8")
    (linear, _), (transformer, _) = model.backend.members
    assert linear.metadata["backend"] == "linear"
    assert ".quantized." in type(transformer.backend.model.bert.encoder.layer[0].attention.self.query).__module__
    with pytest.raises(ModelFileError, match="needs a transformer"):
        load_model(tiny_model_dir, quantize="int8")


def test_quantization_benchmark_reports_fp32_and_int8(trained_dir, capsys):
    from benchmarks import quantization

    assert quantization.main(["--model", str(trained_dir), "--corpus", str(trained_dir.parent / "corpus")]) == 0
    out = capsys.readouterr().out
    assert "int8 quantisation" in out and out.count(" → ") >= 6  # macro-F1, false flags, recall × 2 splits


def test_operating_point_benchmark_matches_the_reference_false_flag_rate(trained_dir, tiny_model_dir, capsys):
    from benchmarks import operating_point

    assert operating_point.main(["--model", str(trained_dir), "--reference", str(tiny_model_dir),
                                 "--corpus", str(trained_dir.parent / "corpus")]) == 0
    out = capsys.readouterr().out
    assert "Same false-flag rate" in out and out.count("| +0.") == 2  # reference and model, each with its shift


def test_keep_layers_trains_a_shallower_student(trained_dir, tmp_path):
    """``--keep-layers 1`` keeps the first of the tiny base's two layers; the saved model loads with one layer."""
    from training import train_transformer

    corpus, base = trained_dir.parent / "corpus", trained_dir.parent / "base"
    out = tmp_path / "student"
    assert train_transformer.main(["--corpus", str(corpus), "--base-model", str(base), "--out", str(out),
                                   "--keep-layers", "1", "--max-length", "24", "--max-steps", "4", "--batch-size", "8",
                                   "--eval-every", "4", "--seed", "1"]) == 0
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["config"]["keep_layers"] == 1
    model = load_model(out)
    assert len(model.backend.model.base_model.encoder.layer) == 1
    assert model.predict(["halo semua", "coblos nomor dua dapat amplop"])[0] in LABELS
    with pytest.raises(ValueError, match="keep-layers"):
        train_transformer.keep_first_layers(load_model(trained_dir).backend.model, 3)


def test_capped_ensemble_thresholds_respect_the_false_flag_cap():
    """With a cap, the ensemble's thresholds flag at most that share of ordinary social-media benign validation
    posts, even where flagging them would raise macro-F1; uncapped, the same data choose the flagging threshold."""
    from training.ensemble import fit_ensemble
    from training.sources import SOCIAL_MEDIA_SOURCES

    social = min(SOCIAL_MEDIA_SOURCES)
    n = 200
    labels = np.array(["hoax"] * 40 + ["benign"] * (n - 40))
    # 10 hoaxes score high, 30 score as low as 20 of the 160 benign posts (all from an ordinary social-media source):
    # catching those 30 hoaxes costs 12.5 % false flags, which macro-F1 alone finds worth it
    p_hoax = np.full(n, 0.05)
    p_hoax[:10], p_hoax[10:60] = 0.6, 0.3
    probabilities = np.column_stack([p_hoax, np.full(n, 0.01), np.full(n, 0.01), 1 - p_hoax - 0.02])
    frame = pd.DataFrame({"text": [f"kabar pemilu nomor {i} coblos sekarang" for i in range(n)], "label": labels,
                          "source": social, "origin": "public"})
    splits = {"validation": frame, "test": frame}
    member = {"validation": probabilities, "test": probabilities}
    uncapped = fit_ensemble(splits, [member], [1.0], "benign")
    capped = fit_ensemble(splits, [member], [1.0], "benign", max_real_false_flag_rate=0.02)
    benign_flags = lambda result: result["metrics"]["validation"]["flags"]["false_flag_rate"]
    assert benign_flags(uncapped) > 0.1, "the uncapped search buys recall with false flags here"
    assert benign_flags(capped) <= 0.02
