"""The transformer backend: a fine-tuned encoder (any ``AutoModelForSequenceClassification``) read from safetensors.

torch and transformers are imported inside :meth:`TransformerBackend.load`, so ``import pilkada_nlp`` stays light and
linear-only users never need them. Loading is strictly offline (``local_files_only``), safetensors only, and never
runs code from the model directory (``trust_remote_code=False``).

Inference sorts texts by token length and pads each batch only to its own longest text, under
``torch.inference_mode()``; it uses however many threads ``torch.set_num_threads`` allows. With the manifest field
``"quantize": "int8"`` the linear layers are dynamically quantised to int8 at load time (faster on CPU, slightly
different scores).

Long posts keep their first and last tokens (:func:`encode`): openings carry the claim or headline, endings the call
to action ("sebarkan!", "coblos nomor 2").
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from pilkada_nlp.backends.occlusion import explain_by_occlusion
from pilkada_nlp.models.manifest import ModelFileError

WEIGHTS_FILE = "model.safetensors"


def special_token_counts(tokenizer) -> tuple[int, int]:
    """How many special tokens the tokenizer puts before and after a single text (1 and 1 for BERT and XLM-R)."""
    encoded = tokenizer("a", add_special_tokens=True, return_special_tokens_mask=True)
    mask = encoded["special_tokens_mask"]
    before = next((i for i, m in enumerate(mask) if not m), len(mask))
    after = next((i for i, m in enumerate(reversed(mask)) if not m), 0)
    return before, after


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids with special tokens, at most ``max_length``; longer texts keep their head and tail halves."""
    # verbose=False: over-long texts are expected here (they are cut below), so no "longer than" warning
    ids = tokenizer(list(texts), add_special_tokens=True, verbose=False)["input_ids"]
    before, after = special_token_counts(tokenizer)
    budget = max_length - before - after
    head = budget // 2
    out = []
    for row in ids:
        if len(row) > max_length:
            content = row[before : len(row) - after]
            row = row[:before] + content[:head] + content[len(content) - (budget - head) :] + row[len(row) - after :]
        out.append(row)
    return out


def pad_batch(rows: list[list[int]], pad_id: int):
    """Dynamic padding: ``input_ids`` and ``attention_mask`` tensors as long as the batch's longest row."""
    import torch

    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return input_ids, mask


class TransformerBackend:
    """Logits from a sequence-classification encoder, one column per label in manifest order."""

    name = "transformer"

    def __init__(self, labels: list[str], model: Any, tokenizer: Any, max_length: int, batch_size: int = 32) -> None:
        self.labels = list(labels)
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        self.batch_size = int(batch_size)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else 0)
        # the model's output column for each manifest label (config.label2id is saved by the trainer)
        label2id = {str(k): int(v) for k, v in (model.config.label2id or {}).items()}
        if set(label2id) != set(self.labels):
            raise ModelFileError(f"model config labels {sorted(label2id)} do not match the manifest's {self.labels}")
        self.columns = [label2id[label] for label in self.labels]

    @classmethod
    def load(cls, directory: Path, manifest: dict, quantize: str | None = None) -> TransformerBackend:
        """Load offline from safetensors; ``quantize`` (or the manifest's ``quantize``) may be ``"int8"``."""
        directory = Path(directory)
        if not (directory / WEIGHTS_FILE).is_file():
            raise ModelFileError(f"{directory}: {WEIGHTS_FILE} not found; transformer weights must be safetensors")
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as error:
            raise ImportError(
                f"this model needs the transformer extra ({error.name} is missing): "
                "pip install torch==2.13.0 && pip install 'pilkada-nlp[transformer]'"
            ) from None
        from transformers.utils import logging as hf_logging

        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a library call should not draw a "Loading weights" bar
        try:
            tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True, trust_remote_code=False)
            model = AutoModelForSequenceClassification.from_pretrained(
                directory, local_files_only=True, use_safetensors=True, trust_remote_code=False
            )
        except Exception as error:  # noqa: BLE001 - corrupt files surface as OSError, ValueError, SafetensorError...
            raise ModelFileError(f"{directory}: cannot load the transformer ({type(error).__name__}: "
                                 f"{' '.join(str(error).split())[:300]})") from None
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        model = model.float().eval()
        quantize = quantize if quantize is not None else manifest.get("quantize")
        if quantize == "int8":
            from torch.ao.quantization import quantize_dynamic

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch deprecates eager quantisation (moving to torchao); it works
                model = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif quantize not in (None, "none", "fp32"):
            raise ModelFileError(f"{directory}: unknown quantize {quantize!r} (expected 'int8' or none)")
        return cls(manifest["labels"], model, tokenizer, manifest.get("max_length", 128),
                   manifest.get("inference_batch_size", 32))

    def logits(self, texts: list[str]) -> np.ndarray:
        """One row of logits per (normalised) text, in ``labels`` order; batches are sorted by length."""
        import torch

        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        rows = encode(self.tokenizer, texts, self.max_length)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start : start + self.batch_size]
                input_ids, mask = pad_batch([rows[i] for i in index], self.pad_id)
                logits = self.model(input_ids=input_ids, attention_mask=mask).logits.float().numpy()
                out[index] = logits[:, self.columns]
        return out

    def explain(self, text: str, label_index: int, top_k: int = 5) -> list[tuple[str, float]]:
        """Words whose removal lowers the label's logit margin most (:func:`explain_by_occlusion`)."""
        return explain_by_occlusion(self.logits, text, label_index, top_k)
