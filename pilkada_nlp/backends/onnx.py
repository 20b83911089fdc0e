"""The ONNX backend: an exported encoder (``training/export_onnx.py``) run by ONNX Runtime, without torch.

Inference needs only ``onnxruntime``, ``tokenizers`` and numpy (the ``[onnx]`` extra); neither torch nor
transformers is imported. The directory holds ``model.onnx``, ``tokenizer.json`` and ``model.json``, whose sha256
checks (done by :func:`~pilkada_nlp.models.manifest.read_manifest`) cover every file.

Before a session is created the graph is read (a small protobuf walk, no ``onnx`` package) and refused with a
:class:`~pilkada_nlp.models.manifest.ModelFileError` when it

* uses an operator outside the ONNX standard domains and ONNX Runtime's own ``com.microsoft`` domain (a custom op
  would need a native library loaded into the process), or
* keeps tensors in external data files that lie outside the model directory or are not in the manifest.

Inference sorts texts by token length and pads each batch to its longest text (the transformer backend's
head-and-tail truncation to ``max_length`` included); threads: ``PILKADA_NLP_ONNX_THREADS`` or
:meth:`OnnxBackend.set_threads` (0: ONNX Runtime's default, one per core).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pilkada_nlp.backends.occlusion import explain_by_occlusion
from pilkada_nlp.models.manifest import ModelFileError

GRAPH_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
THREADS_VARIABLE = "PILKADA_NLP_ONNX_THREADS"
#: Operator domains ONNX Runtime implements itself; anything else is a custom op.
ALLOWED_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft"})


# -- a minimal protobuf reader: just the ModelProto fields the checks need ---------------------------------------
def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return value, i
        shift += 7


def _fields(data: bytes):
    """(field number, wire type, value) of one message; value is bytes for length-delimited fields."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 2:
            length, i = _varint(data, i)
            value, i = data[i : i + length], i + length
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if i > len(data):
            raise ValueError("truncated field")
        yield number, wire, value


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def _tensor_external(tensor: bytes) -> list[str]:
    """Locations of a TensorProto's external data (``data_location`` 14 = EXTERNAL, ``external_data`` 13)."""
    locations = []
    for number, _, value in _fields(tensor):
        if number == 13:
            entry = {n: _text(v) for n, _, v in _fields(value)}  # StringStringEntryProto: key 1, value 2
            if entry.get(1) == "location":
                locations.append(entry.get(2, ""))
    return locations


def _graph_facts(graph: bytes, ops: set[tuple[str, str]], external: list[str]) -> None:
    """Walk a GraphProto: node (1) op_type (4) and domain (7), subgraphs in attributes (5: g 6, graphs 11),
    initializers (5) and sparse initializers (15: values 1, indices 2)."""
    for number, _, value in _fields(graph):
        if number == 1:
            op_type, domain = "", ""
            for n, _, v in _fields(value):
                if n == 4:
                    op_type = _text(v)
                elif n == 7:
                    domain = _text(v)
                elif n == 5:
                    for an, _, av in _fields(v):
                        if an in (6, 11):
                            _graph_facts(av, ops, external)
                        elif an in (5, 10):  # attribute tensors (t, tensors) can be external too
                            external.extend(_tensor_external(av))
            ops.add((domain, op_type))
        elif number == 5:
            external.extend(_tensor_external(value))
        elif number == 15:
            for n, _, v in _fields(value):
                if n in (1, 2):
                    external.extend(_tensor_external(v))


def check_graph(path: Path, directory: Path, listed: set[str]) -> None:
    """Refuse (``ModelFileError``, one line) a graph with custom ops or external data outside ``directory`` or not
    checksummed in the manifest (``listed``)."""
    try:
        data = path.read_bytes()
        ops: set[tuple[str, str]] = set()
        external: list[str] = []
        for number, _, value in _fields(data):
            if number == 7:
                _graph_facts(value, ops, external)
            elif number == 25:  # model-local functions (FunctionProto): their nodes (field 7) are checked too
                for n, _, v in _fields(value):
                    if n == 7:
                        _graph_facts(b"\x0a" + _length(v) + v, ops, external)
    except ValueError as error:
        raise ModelFileError(f"{path}: not a readable ONNX model ({error})") from None
    custom = sorted(f"{domain}:{op}" for domain, op in ops if domain not in ALLOWED_DOMAINS)
    if custom:
        raise ModelFileError(f"{path}: custom operators {', '.join(custom)} are not supported (only ONNX and "
                             "ONNX Runtime operators are; a custom op needs native code)")
    root = directory.resolve()
    for location in external:
        target = (directory / location).resolve()
        if Path(location).is_absolute() or not target.is_relative_to(root):
            raise ModelFileError(f"{path}: external data {location!r} lies outside the model directory; refusing it")
        if target.relative_to(root).as_posix() not in listed:
            raise ModelFileError(f"{path}: external data {location!r} has no checksum in the manifest; refusing it")


def _length(value: bytes) -> bytes:
    """The varint encoding of ``len(value)`` (to re-wrap a function's node list as a graph for the walk)."""
    n, out = len(value), bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


# -- the backend -----------------------------------------------------------------------------------------------
class OnnxBackend:
    """Logits from an ONNX encoder, one column per label in manifest order."""

    name = "onnx"

    def __init__(self, labels: list[str], graph: Path, tokenizer, output_labels: list[str], max_length: int,
                 batch_size: int = 32, pad_id: int = 0, threads: int = 0) -> None:
        self.labels = list(labels)
        self.graph = Path(graph)
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        self.pad_id = int(pad_id)
        if sorted(output_labels) != sorted(self.labels):
            raise ModelFileError(f"graph output labels {output_labels} do not match the manifest's {self.labels}")
        self.columns = [list(output_labels).index(label) for label in self.labels]
        encoded = tokenizer.encode("a", add_special_tokens=True)
        mask = encoded.special_tokens_mask
        self.special_before = next((i for i, m in enumerate(mask) if not m), len(mask))
        self.special_after = next((i for i, m in enumerate(reversed(mask)) if not m), 0)
        self.threads = 0
        self.session = None
        self.set_threads(threads)

    def set_threads(self, threads: int) -> None:
        """Run on ``threads`` intra-op threads (0: ONNX Runtime's default); rebuilds the session."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = None  # the old session's memory goes before the new one is built
        try:
            self.session = onnxruntime.InferenceSession(str(self.graph), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001  (onnxruntime raises its own types, with multi-line messages)
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelFileError(f"{self.graph}: ONNX Runtime cannot load it: {first}") from None
        self.threads = int(threads)
        self.input_names = {i.name for i in self.session.get_inputs()}

    @classmethod
    def load(cls, directory: Path, manifest: dict, threads: int | None = None) -> OnnxBackend:
        """Check the graph (custom ops, external data), then open it and the tokenizer."""
        directory = Path(directory)
        spec = manifest.get("onnx") or {}
        graph = directory / spec.get("graph", GRAPH_FILE)
        tokenizer_file = directory / spec.get("tokenizer", TOKENIZER_FILE)
        for path in (graph, tokenizer_file):
            if not path.is_file():
                raise ModelFileError(f"{directory}: {path.name} not found; export the model with training/export_onnx.py")
        listed = set(manifest.get("files", {}))
        if graph.name not in listed or tokenizer_file.name not in listed:
            raise ModelFileError(f"{directory}: {graph.name} and {tokenizer_file.name} need checksums in {directory / 'model.json'}")
        check_graph(graph, directory, listed)
        try:
            import onnxruntime  # noqa: F401
            from tokenizers import Tokenizer
        except ImportError as error:
            raise ImportError(f"this model needs the onnx extra ({error.name} is missing): "
                              "pip install 'pilkada-nlp[onnx]'") from None
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        if threads is None:
            threads = int(os.environ.get(THREADS_VARIABLE, manifest.get("threads", 0)) or 0)
        return cls(manifest["labels"], graph, tokenizer, spec.get("output_labels", manifest["labels"]),
                   manifest.get("max_length", 128), manifest.get("inference_batch_size", 32),
                   spec.get("pad_token_id", 0), threads)

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids with special tokens, at most ``max_length``: longer texts keep their head and tail halves
        (as :func:`pilkada_nlp.backends.transformer.encode`)."""
        before, after = self.special_before, self.special_after
        budget = self.max_length - before - after
        head = budget // 2
        out = []
        for encoding in self.tokenizer.encode_batch(list(texts), add_special_tokens=True):
            row = encoding.ids
            if len(row) > self.max_length:
                content = row[before : len(row) - after]
                row = row[:before] + content[:head] + content[len(content) - (budget - head) :] + row[len(row) - after :]
            out.append(row)
        return out

    def logits(self, texts: list[str]) -> np.ndarray:
        """One row of logits per (normalised) text, in ``labels`` order; batches are sorted by length."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        rows = self.encode(texts)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            width = max(len(rows[i]) for i in index)
            input_ids = np.full((len(index), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(index), width), dtype=np.int64)
            for j, i in enumerate(index):
                input_ids[j, : len(rows[i])] = rows[i]
                mask[j, : len(rows[i])] = 1
            feed = {"input_ids": input_ids, "attention_mask": mask}
            logits = self.session.run(["logits"], {k: v for k, v in feed.items() if k in self.input_names})[0]
            out[index] = logits[:, self.columns]
        return out

    def explain(self, text: str, label_index: int, top_k: int = 5) -> list[tuple[str, float]]:
        """Words whose removal lowers the label's logit margin most (:func:`explain_by_occlusion`)."""
        return explain_by_occlusion(self.logits, text, label_index, top_k)
