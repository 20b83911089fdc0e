"""Export a transformer model directory to an ONNX model directory (``"backend": "onnx"``), fused and int8.

    python -m training.export_onnx --model pilkada_nlp/models/transformer --out build/models/transformer-onnx
    python -m training.export_onnx --model DIR --out OUT --quantize none     # fp32, fused

Steps: the encoder is loaded exactly as :class:`~pilkada_nlp.backends.transformer.TransformerBackend` loads it
(safetensors, offline), traced with ``torch.onnx.export`` with dynamic batch and sequence axes, its attention,
layer norms and GELU fused by ``onnxruntime.transformers.optimizer`` (BERT patterns), and, by default, its weights
quantised to int8 by ``onnxruntime.quantization.quantize_dynamic``. The output directory holds ``model.onnx``
(one file, no external data), ``tokenizer.json`` and a ``model.json`` that keeps the source manifest's labels,
thresholds, temperature, normaliser version and metrics, and records the export (source manifest sha256, opset,
quantisation, library versions, logit agreement with torch on a few posts).

Needs the ``[transformer]`` and ``[onnx]`` extras. Inference needs only ``onnxruntime``, ``tokenizers`` and numpy
(:mod:`pilkada_nlp.backends.onnx`). Calibration (temperature, thresholds) is the source model's, unless
``--recalibrate CORPUS`` is given: int8 moves scores, so the export's own temperature and thresholds are then fitted
on that corpus's validation split with the trainer's rule (false-flag cap, minimum-evidence rule), and its metrics
on every split are recomputed; the source's calibration and metrics are kept under ``export.source_calibration``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from pilkada_nlp.backends.onnx import GRAPH_FILE, TOKENIZER_FILE
from pilkada_nlp.models.manifest import MANIFEST, read_manifest, sha256_of, write_manifest

OPSET = 17
#: Manifest fields that describe a training run or its files, not the model's behaviour: not copied to the export.
NOT_COPIED = ("files", "format_version", "backend", "quantize", "id2label", "label2id")


@dataclass
class ExportConfig:
    model: str
    """transformer model directory to export (backend "transformer")"""
    out: str
    """output model directory (created; must not exist unless --overwrite)"""
    quantize: str = "int8"
    """"int8" (dynamic quantisation of the weights) or "none" (fp32)"""
    optimize: bool = True
    """fuse attention, layer norm and GELU with onnxruntime's transformer optimiser"""
    per_channel: bool = True
    """int8 scales per output channel of each weight (on the shipped transformer: labels equal to fp32 ONNX on
    97.1 % of 241 sample posts, against 96.7 % per tensor, same size)"""
    name: str = ""
    """name in the output manifest (default: the source's, with "-onnx" and the quantisation)"""
    overwrite: bool = False
    recalibrate: str = ""
    """corpus folder whose validation split refits the export's temperature and thresholds ("": keep the source's)"""
    max_real_false_flag_rate: float | None = 0.02
    """with ``recalibrate``: the trainer's cap on false flags among ordinary social-media validation posts"""


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import tokenizers
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__, "tokenizers": tokenizers.__version__}


def export(config: ExportConfig) -> Path:
    """Write the ONNX model directory and return its path."""
    import torch

    from pilkada_nlp.backends.transformer import TransformerBackend

    source = Path(config.model)
    manifest = read_manifest(source)
    if manifest.get("backend") != "transformer":
        raise SystemExit(f"{source}: backend {manifest.get('backend')!r}; only transformer models can be exported")
    if config.quantize not in ("int8", "none"):
        raise SystemExit(f"--quantize {config.quantize!r}: expected int8 or none")
    out = Path(config.out)
    if out.exists():
        if not config.overwrite:
            raise SystemExit(f"{out} exists; pass --overwrite to replace it")
        shutil.rmtree(out)
    backend = TransformerBackend.load(source, manifest, quantize="fp32")
    model, tokenizer = backend.model, backend.tokenizer
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")  # the attention pattern onnxruntime's optimiser fuses

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        sample = torch.full((2, 8), backend.pad_id, dtype=torch.long)
        sample[:, 0] = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else backend.pad_id
        mask = torch.ones_like(sample)
        with torch.inference_mode():
            torch.onnx.export(Logits(model).eval(), (sample, mask), str(raw), input_names=["input_ids", "attention_mask"],
                              output_names=["logits"], opset_version=OPSET, dynamo=False, do_constant_folding=True,
                              dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                            "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}})
        graph = raw
        if config.optimize:
            from onnxruntime.transformers import optimizer

            optimised = optimizer.optimize_model(str(raw), model_type="bert",
                                                 num_heads=int(model.config.num_attention_heads),
                                                 hidden_size=int(model.config.hidden_size), opt_level=1)
            graph = Path(tmp) / "optimised.onnx"
            optimised.save_model_to_file(str(graph), use_external_data_format=False)
            fused = optimised.get_fused_operator_statistics()
            print(f"fused operators: {', '.join(f'{k} {v}' for k, v in fused.items() if v)}", file=sys.stderr)
        if config.quantize == "int8":
            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantised = Path(tmp) / "int8.onnx"
            # fused ops (com.microsoft) defeat ONNX shape inference: their outputs are float tensors
            quantize_dynamic(str(graph), str(quantised), weight_type=QuantType.QInt8, per_channel=config.per_channel,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            graph = quantised
        shutil.copyfile(graph, out / GRAPH_FILE)
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))

    id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
    name = config.name or f"{manifest.get('name', source.name)}-onnx-{config.quantize if config.quantize != 'none' else 'fp32'}"
    fields = {k: v for k, v in manifest.items() if k not in NOT_COPIED}
    write_manifest(out, {
        **fields,
        "name": name,
        "backend": "onnx",
        "onnx": {
            "graph": GRAPH_FILE, "tokenizer": TOKENIZER_FILE, "output_labels": [id2label[i] for i in range(len(id2label))],
            "pad_token_id": backend.pad_id, "quantize": None if config.quantize == "none" else config.quantize,
            "optimized": config.optimize, "opset": OPSET,
        },
        "export": {"source": str(source), "source_manifest_sha256": sha256_of(source / MANIFEST),
                   "config": asdict(config), "versions": _versions()},
    })
    _check(out, backend)
    if config.recalibrate:
        recalibrate(out, Path(config.recalibrate), config.max_real_false_flag_rate)
    return out


def recalibrate(out: Path, corpus: Path, max_real_false_flag_rate: float | None) -> None:
    """Refit the export's temperature and thresholds on ``corpus``'s validation split; rescore every split.

    What the trainer does for its own weights (:func:`training.train_transformer.calibrate_and_score`), done for the
    graph that will actually run: test, real_test and the held-out pool are only scored.
    """
    from pilkada_nlp.backends.onnx import OnnxBackend
    from pilkada_nlp.text import normalize_batch
    from training.train_linear import read_split
    from training.train_transformer import calibrate_and_score

    manifest = read_manifest(out)
    backend = OnnxBackend.load(out, manifest)
    splits = {name: read_split(corpus, name) for name in ("validation", "test", "real_test", "heldout_pool")
              if (corpus / f"{name}.parquet").is_file()}
    version = manifest["normalizer_version"]
    logits = {name: backend.logits(normalize_batch(list(frame["text"]), version)) for name, frame in splits.items()}
    majority = read_split(corpus, "train")["label"].mode()[0]
    result = calibrate_and_score(splits, logits, majority, max_real_false_flag_rate)
    manifest = {k: v for k, v in manifest.items() if k not in ("files", "format_version")}
    manifest["export"]["source_calibration"] = {k: manifest.get(k) for k in ("temperature", "thresholds", "metrics")}
    manifest["export"]["recalibrated_on"] = {"corpus": str(corpus), "split": "validation",
                                             "max_real_false_flag_rate": max_real_false_flag_rate}
    manifest.update(temperature=round(result["temperature"], 6), thresholds=result["thresholds"],
                    metrics=result["metrics"])
    (out / MANIFEST).unlink()
    write_manifest(out, manifest)
    print(f"recalibrated on {corpus}/validation: temperature {manifest['temperature']}, thresholds "
          f"{manifest['thresholds']}; macro-F1 " + ", ".join(f"{n} {m['macro_f1']}" for n, m in result["metrics"].items()),
          file=sys.stderr)


def _check(out: Path, backend) -> None:
    """Load the export like a user would and compare its logits with torch's on a few posts (printed, recorded)."""
    from pilkada_nlp.backends.onnx import OnnxBackend

    manifest = read_manifest(out)
    onnx_backend = OnnxBackend.load(out, manifest)
    posts = ["besok subuh ada amplop seratus ribu asal coblos nomor dua", "halo", "surat suara sudah dicoblos " * 20]
    difference = float(np.abs(onnx_backend.logits(posts) - backend.logits(posts)).max())
    manifest = {k: v for k, v in manifest.items() if k not in ("files", "format_version")}
    manifest["export"]["max_abs_logit_difference_vs_torch"] = round(difference, 6)
    (out / MANIFEST).unlink()
    write_manifest(out, manifest)
    print(f"wrote {out}: max |logit difference| vs torch fp32 on {len(posts)} posts = {difference:.5f}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help=ExportConfig.__doc__ and "transformer model directory to export")
    parser.add_argument("--out", required=True, help="output model directory")
    parser.add_argument("--quantize", default="int8", choices=["int8", "none"], help="int8 weights (default) or fp32")
    parser.add_argument("--no-optimize", action="store_true", help="skip onnxruntime's attention/layer-norm fusion")
    parser.add_argument("--per-tensor", action="store_true", help="one int8 scale per weight tensor (default: per channel)")
    parser.add_argument("--name", default="", help="name in the output manifest")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--recalibrate", default="", metavar="CORPUS",
                        help="refit temperature and thresholds of the export on CORPUS/validation.parquet")
    parser.add_argument("--max-real-false-flag-rate", type=float, default=0.02,
                        help="with --recalibrate: most ordinary social-media benign validation posts flagged")
    args = parser.parse_args(argv)
    out = export(ExportConfig(model=args.model, out=args.out, quantize=args.quantize, optimize=not args.no_optimize,
                              per_channel=not args.per_tensor, name=args.name, overwrite=args.overwrite,
                              recalibrate=args.recalibrate, max_real_false_flag_rate=args.max_real_false_flag_rate))
    print(json.dumps({"out": str(out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
