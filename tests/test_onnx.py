"""The ONNX backend end to end: the tiny transformer of ``test_transformer`` exported (fp32 and int8), loaded with
``load_model``, used through the API and the CLI, with no torch or transformers import at inference; and graphs with
custom ops or external data outside the folder refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("datasets")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from pilkada_nlp import LABELS, Prediction, classify, load_model
from pilkada_nlp.models import ModelFileError
from pilkada_nlp.models.manifest import MANIFEST, write_manifest
from pilkada_nlp.text import normalize
from tests.conftest import REPO, TINY_CORPUS
from tests.test_transformer import FILLERS, synthetic_rows, trained_dir  # noqa: F401  (trained_dir: a fixture)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def exported(trained_dir, tmp_path_factory):  # noqa: F811
    """fp32 and int8 ONNX directories exported from the tiny transformer by training/export_onnx.py."""
    from training import export_onnx

    root = tmp_path_factory.mktemp("onnx")
    out = {}
    for quantize in ("none", "int8"):
        directory = root / quantize
        assert export_onnx.main(["--model", str(trained_dir), "--out", str(directory), "--quantize", quantize]) == 0
        out[quantize] = directory
    return out


def test_export_writes_a_checksummed_onnx_directory(exported, trained_dir):  # noqa: F811
    for quantize, directory in exported.items():
        assert sorted(p.name for p in directory.iterdir()) == [MANIFEST, "model.onnx", "tokenizer.json"]
        manifest = json.loads((directory / MANIFEST).read_text())
        source = json.loads((trained_dir / MANIFEST).read_text())
        assert manifest["backend"] == "onnx" and manifest["labels"] == source["labels"]
        for key in ("thresholds", "temperature", "normalizer_version", "max_length", "metrics"):
            assert manifest[key] == source[key]
        assert set(manifest["files"]) == {"model.onnx", "tokenizer.json"}
        assert manifest["onnx"]["quantize"] == (None if quantize == "none" else "int8")
        assert manifest["export"]["max_abs_logit_difference_vs_torch"] < (1e-3 if quantize == "none" else 0.5)
    graph = onnx.load(str(exported["int8"] / "model.onnx"))
    assert any(node.op_type in ("MatMulInteger", "DynamicQuantizeMatMul", "QAttention") for node in graph.graph.node)


def test_fp32_onnx_matches_torch(exported, trained_dir):  # noqa: F811
    posts = [t for label in LABELS for t in TINY_CORPUS[label]] + ["", "halo semua", "kata " * 80]
    np.testing.assert_allclose(load_model(exported["none"]).predict_proba(posts),
                               load_model(trained_dir).predict_proba(posts), atol=1e-4)


def test_int8_agrees_with_fp32(exported):
    # the posts the tiny model was fitted on (as test_transformer's int8 test: elsewhere it sits near ties)
    sample = synthetic_rows(FILLERS)["text"].tolist()
    fp32, int8 = load_model(exported["none"]).predict(sample), load_model(exported["int8"]).predict(sample)
    agree = np.mean([a == b for a, b in zip(fp32, int8)])
    assert agree >= 0.95, f"int8 and fp32 labels agree on {agree:.1%} of {len(sample)} posts"


def test_classify_contract(exported):
    model = load_model(exported["int8"])
    posts = [t for label in LABELS for t in TINY_CORPUS[label]]
    predictions = classify(posts, model=model, explain=True)
    assert len(predictions) == len(posts) and all(isinstance(p, Prediction) for p in predictions)
    for p in predictions:
        assert p.label in LABELS and abs(sum(p.scores.values()) - 1.0) < 1e-9
        assert all(isinstance(w, str) and isinstance(c, float) and c > 0 for w, c in p.explanation)
    single = classify(posts[0], model=model, explain=True)
    # int8 quantises activations per batch (dynamic ranges), so a post alone scores slightly differently
    assert isinstance(single, Prediction) and single.label == predictions[0].label
    assert abs(single.score - predictions[0].score) < 0.02
    assert classify([""], model=model)[0].warning == "empty text"
    text = normalize(posts[6])
    assert all(word in text.split() for word, _ in predictions[6].explanation)


def test_sorted_batches_keep_order_and_threads_are_settable(exported):
    backend = load_model(exported["none"]).backend
    texts = [normalize(t) for label in LABELS for t in TINY_CORPUS[label]] + ["kata " * 60]
    together = backend.logits(texts)
    np.testing.assert_allclose(together, np.vstack([backend.logits([t]) for t in texts]), rtol=1e-4, atol=1e-4)
    backend.set_threads(2)
    assert backend.threads == 2 and backend.session.get_session_options().intra_op_num_threads == 2
    np.testing.assert_allclose(backend.logits(texts), together, rtol=1e-4, atol=1e-4)
    backend.set_threads(1)


def test_tokenizer_matches_the_transformer_backend(exported, trained_dir):  # noqa: F811
    from pilkada_nlp.backends.transformer import encode

    onnx_backend, torch_backend = load_model(exported["none"]).backend, load_model(trained_dir).backend
    texts = [normalize(t) for label in LABELS for t in TINY_CORPUS[label]] + ["kata " * 60, "", "😂 ünï"]
    assert onnx_backend.encode(texts) == encode(torch_backend.tokenizer, texts, torch_backend.max_length)


def test_inference_imports_neither_torch_nor_transformers(exported):
    code = (
        "import sys, json, pilkada_nlp\n"
        f"model = pilkada_nlp.load_model({str(exported['int8'])!r})\n"
        "p = model.classify(['besok subuh amplop seratus ribu', 'halo'], explain=True)\n"
        "print(json.dumps({'labels': [x.label for x in p], 'torch': 'torch' in sys.modules,"
        " 'transformers': 'transformers' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["torch"] is False and result["transformers"] is False
    assert all(label in LABELS for label in result["labels"])


def test_cli_classifies_with_an_onnx_model(exported, capsys):
    from pilkada_nlp.cli import main

    assert main(["classify", "--json", "--explain", "--model", str(exported["int8"]), TINY_CORPUS["hoax"][0], "halo"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and all(row["label"] in LABELS for row in rows)


def rewrite(source: Path, destination: Path, graph) -> Path:
    """A copy of ``source`` whose model.onnx is ``graph`` (an onnx ModelProto), checksums rewritten."""
    shutil.copytree(source, destination)
    onnx.save(graph, str(destination / "model.onnx"))
    manifest = json.loads((destination / MANIFEST).read_text())
    manifest = {k: v for k, v in manifest.items() if k not in ("files", "format_version")}
    (destination / MANIFEST).unlink()
    write_manifest(destination, manifest)
    return destination


def test_custom_operator_is_refused(exported, tmp_path):
    graph = onnx.load(str(exported["none"] / "model.onnx"))
    node = graph.graph.node[-1]
    node.domain = "org.example.custom"
    graph.opset_import.append(onnx.helper.make_opsetid("org.example.custom", 1))
    broken = rewrite(exported["none"], tmp_path / "custom", graph)
    with pytest.raises(ModelFileError, match="custom operators org.example.custom") as error:
        load_model(broken)
    assert "\n" not in str(error.value)


def test_external_data_outside_the_folder_is_refused(exported, tmp_path):
    from onnx.external_data_helper import set_external_data

    graph = onnx.load(str(exported["none"] / "model.onnx"))
    tensor = max(graph.graph.initializer, key=lambda t: len(t.raw_data))
    (tmp_path / "outside.bin").write_bytes(tensor.raw_data)
    set_external_data(tensor, location="../outside.bin")
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    broken = rewrite(exported["none"], tmp_path / "external", graph)
    with pytest.raises(ModelFileError, match="outside the model directory") as error:
        load_model(broken)
    assert "\n" not in str(error.value)


def test_tampered_graph_is_refused(exported, tmp_path):
    broken = tmp_path / "tampered"
    shutil.copytree(exported["int8"], broken)
    data = bytearray((broken / "model.onnx").read_bytes())
    data[-1] ^= 0xFF
    (broken / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(broken)


def test_recalibrated_export_fits_its_own_calibration_on_validation(trained_dir, tmp_path):  # noqa: F811
    """``--recalibrate CORPUS`` refits temperature and thresholds for the int8 graph on the validation split, keeps
    the source's under ``export.source_calibration``, and stores metrics that the loaded export reproduces."""
    import pandas as pd

    from training import export_onnx
    from training.evaluate import split_metrics
    from training.train_linear import decide

    corpus, out = trained_dir.parent / "corpus", tmp_path / "int8"
    assert export_onnx.main(["--model", str(trained_dir), "--out", str(out), "--recalibrate", str(corpus)]) == 0
    manifest = json.loads((out / MANIFEST).read_text())
    source = json.loads((trained_dir / MANIFEST).read_text())
    assert manifest["export"]["source_calibration"]["thresholds"] == source["thresholds"]
    assert manifest["export"]["recalibrated_on"]["split"] == "validation"
    assert set(manifest["thresholds"]) == set(LABELS) - {"benign"} and manifest["temperature"] > 0
    model = load_model(out)
    validation = pd.read_parquet(corpus / "validation.parquet")
    texts = list(validation["text"])
    order = [model.labels.index(label) for label in LABELS]
    predicted = decide(model.predict_proba(texts)[:, order], model.thresholds, texts)
    assert split_metrics(validation, predicted, "benign")["macro_f1"] == manifest["metrics"]["validation"]["macro_f1"]
    assert model.predict(texts) == list(predicted), "classify applies the refitted calibration"
