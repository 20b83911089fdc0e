"""Fine-tune a transformer encoder on the corpus and write a model directory that ``load_model`` reads.

    python -m training.train_transformer --base-model indolem/indobertweet-base-uncased --out build/models/indobertweet
    python -m training.train_transformer --base-model build/backbones/e5-small --freeze-embeddings --max-length 64

``--base-model`` is a Hugging Face hub id (needs internet the first time) or a local directory; anything that
``AutoModelForSequenceClassification`` loads works. Recipe (choices on the validation split; tests scored at the end):

1. Normalised text (``pilkada_nlp.text.normalize``), tokenised with ``datasets.Dataset.map``; posts longer than
   ``max_length`` keep their head and tail (:func:`pilkada_nlp.backends.transformer.encode`).
   With ``--keep-layers N`` only the encoder's first N layers are kept: a smaller, faster student that starts from
   the pretrained weights of the layers it keeps.
2. AdamW with linear warm-up and decay; cross-entropy weighted by the linear trainer's row weights (real annotated
   posts ``real_weight`` times more, the corpus's authored-surface and silver weights, balanced labels). Batches are
   drawn from length buckets, padded per batch.
3. Validation macro-F1 every ``eval_every`` steps (and at each epoch end); the best weights are kept; training stops
   after ``patience`` evaluations without improvement, or when ``max_minutes`` have passed.
4. Temperature scaling and per-label thresholds on validation, with the linear trainer's functions and its cap on
   false flags among ordinary social-media posts (``max_real_false_flag_rate``) and minimum-evidence rule.
5. With ``--compare-with MODEL_DIR``: the linear model and an ensemble (mean of calibrated probabilities, its own
   thresholds tuned on validation) are scored on the same splits, and ``--report`` writes the comparison.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

import pilkada_nlp
from pilkada_nlp.backends.transformer import TransformerBackend, encode, pad_batch
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models.classifier import softmax
from pilkada_nlp.models.manifest import write_manifest
from pilkada_nlp.text import NORMALIZER_VERSION, normalize
from training import outdir
from training.ensemble import fit_ensemble, member_probabilities
from training.evaluate import label_metrics, split_metrics
from training.licences import LICENCES
from training.train_linear import LinearConfig, decide, fit_temperature, read_split, row_weights, tune_capped_thresholds

SPLITS = ("train", "validation", "test", "real_test")


@dataclass(frozen=True)
class TransformerConfig:
    """Fine-tuning settings; saved in the manifest under ``config``."""

    corpus: str = "data/processed"
    out: str = "build/models/transformer"
    base_model: str = "indolem/indobertweet-base-uncased"
    name: str = "transformer"
    seed: int = 13
    max_length: int = 128
    epochs: float = 3.0
    batch_size: int = 16
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    real_weight: float = 2.0
    freeze_embeddings: bool = False
    #: Keep only the encoder's first N layers (0: all of them).
    keep_layers: int = 0
    #: As the linear trainer: most benign validation posts of ordinary social-media users the thresholds may flag.
    max_real_false_flag_rate: float | None = 0.02
    eval_every: int = 0
    patience: int = 2
    max_steps: int = 0
    max_minutes: float = 0.0
    train_subset: int = 0
    eval_subset: int = 0
    save_dtype: str = "float32"
    quantize: str | None = None


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def stratified_subset(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """About ``n`` rows with the label proportions of ``frame`` (all rows when ``n`` is 0 or too large)."""
    if not n or n >= len(frame):
        return frame
    share = n / len(frame)
    return frame.groupby("label", group_keys=False).sample(frac=share, random_state=seed).sort_index()


def tokenise(tokenizer, frame: pd.DataFrame, max_length: int):
    """A ``datasets.Dataset`` with ``input_ids``, ``label`` and per-example ``weight`` columns."""
    from datasets import Dataset

    label_index = {label: i for i, label in enumerate(LABELS)}
    data = Dataset.from_dict({
        "text": [normalize(t) for t in frame["text"]],
        "label": [label_index[label] for label in frame["label"]],
        "weight": frame["weight"].astype(float).tolist() if "weight" in frame else [1.0] * len(frame),
    })
    return data.map(lambda batch: {"input_ids": encode(tokenizer, batch["text"], max_length)}, batched=True,
                    desc="tokenising")


def bucketed_batches(lengths: list[int], batch_size: int, rng: np.random.Generator) -> list[list[int]]:
    """Shuffled batches of similar-length examples: little padding, still random order across batches."""
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def calibrate_and_score(splits: dict[str, pd.DataFrame], logits: dict[str, np.ndarray], majority: str,
                        max_real_false_flag_rate: float | None = None) -> dict:
    """Temperature and thresholds from validation; metrics (minimum-evidence rule included) on every split given."""
    label_index = {label: i for i, label in enumerate(LABELS)}
    validation = splits["validation"]
    temperature = fit_temperature(logits["validation"], validation["label"].map(label_index).to_numpy())
    probabilities = {name: softmax(values / temperature) for name, values in logits.items()}
    thresholds = tune_capped_thresholds(probabilities["validation"], validation, max_real_false_flag_rate)
    metrics = {name: split_metrics(splits[name], decide(probabilities[name], thresholds, list(splits[name]["text"])),
                                   majority) for name in logits}
    return {"temperature": temperature, "thresholds": thresholds, "probabilities": probabilities, "metrics": metrics}


def keep_first_layers(model, n: int) -> None:
    """Drop every encoder layer after the first ``n`` (in place); the saved config records the new depth."""
    import torch

    layers = model.base_model.encoder.layer
    if not 0 < n <= len(layers):
        raise ValueError(f"--keep-layers must be between 1 and {len(layers)}, got {n}")
    model.base_model.encoder.layer = torch.nn.ModuleList(list(layers)[:n])
    model.config.num_hidden_layers = n


def train(config: TransformerConfig, compare_with: str | None = None, report: str | None = None) -> dict:
    """Fine-tune, calibrate, evaluate and save; returns the manifest."""
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    start = time.perf_counter()
    outdir.check_out(config.out)
    seed_everything(config.seed)
    corpus = Path(config.corpus)
    splits = {name: read_split(corpus, name) for name in SPLITS}
    train_frame = stratified_subset(splits["train"], config.train_subset, config.seed)
    train_frame = train_frame.assign(weight=row_weights(train_frame, LinearConfig(real_weight=config.real_weight)))
    eval_frame = stratified_subset(splits["validation"], config.eval_subset, config.seed)

    local = Path(config.base_model).is_dir()
    tokenizer = AutoTokenizer.from_pretrained(config.base_model, local_files_only=local)
    model = AutoModelForSequenceClassification.from_pretrained(
        config.base_model, local_files_only=local, use_safetensors=local or None, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)},
    ).float()
    if config.keep_layers:
        keep_first_layers(model, config.keep_layers)
    if config.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    manifest_stub = {"labels": list(LABELS), "max_length": config.max_length, "inference_batch_size": 64}
    backend = TransformerBackend(list(LABELS), model, tokenizer, config.max_length, 64)

    data = tokenise(tokenizer, train_frame, config.max_length)
    lengths = [len(ids) for ids in data["input_ids"]]
    rng = np.random.default_rng(config.seed)
    steps_per_epoch = -(-len(data) // config.batch_size)
    total_steps = int(np.ceil(steps_per_epoch * config.epochs))
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    eval_every = config.eval_every or steps_per_epoch
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total_steps), total_steps)
    eval_texts = [normalize(t) for t in eval_frame["text"]]

    def evaluate() -> float:
        model.eval()
        predicted = np.array(LABELS)[backend.logits(eval_texts).argmax(axis=1)]
        model.train()
        return label_metrics(eval_frame["label"], predicted)["macro_f1"]

    best = {"f1": -1.0, "step": 0, "state": None}
    history, stale, step, stopped = [], 0, 0, "steps done"
    deadline = start + config.max_minutes * 60 if config.max_minutes else None
    model.train()
    progress = tqdm(total=total_steps, desc="fine-tuning", unit="step")
    while step < total_steps and stopped == "steps done":
        for batch in bucketed_batches(lengths, config.batch_size, rng):
            rows = data[batch]
            input_ids, mask = pad_batch(rows["input_ids"], backend.pad_id)
            logits = model(input_ids=input_ids, attention_mask=mask).logits
            losses = torch.nn.functional.cross_entropy(logits, torch.tensor(rows["label"]), reduction="none")
            weight = torch.tensor(rows["weight"], dtype=losses.dtype)
            loss = (losses * weight).sum() / weight.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            progress.update(1)
            progress.set_postfix(loss=f"{loss.item():.3f}")
            out_of_time = deadline is not None and time.perf_counter() > deadline
            if step % eval_every == 0 or step == total_steps or out_of_time:
                f1 = evaluate()
                history.append({"step": step, "loss": round(loss.item(), 4), "validation_macro_f1": f1,
                                 "minutes": round((time.perf_counter() - start) / 60, 1)})
                tqdm.write(f"step {step}/{total_steps}: loss {loss.item():.4f}, validation macro-F1 (argmax) {f1:.4f}")
                if f1 > best["f1"]:
                    best = {"f1": f1, "step": step,
                            "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}
                    stale = 0
                else:
                    stale += 1
                if stale >= config.patience:
                    stopped = f"early stopping: no improvement in {config.patience} evaluations"
                elif out_of_time:
                    stopped = f"time limit of {config.max_minutes} minutes"
            if step >= total_steps or stopped != "steps done":
                break
    progress.close()
    model.load_state_dict(best["state"])
    model.eval()
    train_seconds = time.perf_counter() - start
    print(f"training stopped ({stopped}); best validation macro-F1 {best['f1']:.4f} at step {best['step']}", flush=True)

    # calibration and thresholds use the same validation rows as early stopping (all of them unless --eval-subset)
    scored = {"validation": eval_frame, "test": splits["test"], "real_test": splits["real_test"]}
    logits = {}
    for name, frame in scored.items():
        began = time.perf_counter()
        logits[name] = backend.logits([normalize(t) for t in frame["text"]])
        print(f"{name}: {len(frame)} posts scored in {time.perf_counter() - began:.0f}s", flush=True)
    majority = splits["train"]["label"].mode()[0]
    result = calibrate_and_score(scored, logits, majority, config.max_real_false_flag_rate)
    for name, m in result["metrics"].items():
        print(f"{name}: macro-F1 {m['macro_f1']}, flags {m['flags']}", flush=True)

    out = outdir.stage(config.out)
    if config.save_dtype == "float16":
        model.half()
    model.save_pretrained(out, safe_serialization=True)
    model.float()
    tokenizer.save_pretrained(out)
    stats_path = corpus / "corpus_stats.json"
    corpus_stats = json.loads(stats_path.read_text()) if stats_path.is_file() else {}
    sources = sorted(set().union(*(set(frame["source"]) for frame in splits.values())))
    manifest = {
        "name": config.name,
        "version": pilkada_nlp.__version__,
        "backend": "transformer",
        "labels": list(LABELS),
        "id2label": dict(enumerate(LABELS)),
        "label2id": {label: i for i, label in enumerate(LABELS)},
        "normalizer_version": NORMALIZER_VERSION,
        "temperature": round(result["temperature"], 6),
        "thresholds": result["thresholds"],
        **manifest_stub,
        "quantize": config.quantize,
        "batch_size": 256,
        "config": asdict(config),
        "training": {"stopped": stopped, "best_step": best["step"], "steps": step, "history": history,
                     "train_rows": len(train_frame), "eval_rows": len(eval_frame),
                     "trainable_parameters": sum(p.numel() for p in parameters),
                     "seconds": round(train_seconds, 1)},
        "training_data": {
            "fingerprint": corpus_stats.get("fingerprint"),
            "rows": {name: len(frame) for name, frame in splits.items()},
            "sources": {source: LICENCES.get(source, "unknown") for source in sources},
        },
        "metrics": result["metrics"],
        "environment": {"python": platform.python_version(), "torch": torch.__version__,
                        "transformers": transformers.__version__, "numpy": np.__version__, "pandas": pd.__version__},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if compare_with:
        manifest["comparison"] = compare(scored, result, Path(compare_with), majority)
    manifest = write_manifest(out, manifest)
    outdir.publish(out, config.out)
    if report and compare_with:
        Path(report).write_text(comparison_report(manifest), encoding="utf-8")
        print(f"wrote {report}")
    return manifest


def compare(splits: dict[str, pd.DataFrame], result: dict, linear_dir: Path, majority: str) -> dict:
    """Linear model and ensemble (mean of calibrated probabilities) on the same splits as the transformer."""
    linear = pilkada_nlp.load_model(linear_dir)
    linear_p = member_probabilities(linear, splits)
    linear_metrics = {name: split_metrics(frame, decide(linear_p[name], linear.thresholds), majority)
                      for name, frame in splits.items()}
    ensemble = fit_ensemble(splits, [linear_p, result["probabilities"]], [1.0, 1.0], majority)
    keep = ("n", "macro_f1", "accuracy", "per_label", "flags", "confusion_matrix")
    trim = lambda metrics: {name: {k: m[k] for k in keep} for name, m in metrics.items()}
    return {"linear_model": str(linear_dir), "linear": trim(linear_metrics),
            "ensemble": {"thresholds": ensemble["thresholds"], **trim(ensemble["metrics"])}}


def comparison_report(manifest: dict) -> str:
    """Markdown: transformer vs linear vs ensemble, per split and per label, with the decision rule applied."""
    c, t = manifest["comparison"], manifest["metrics"]
    systems = {"linear (default)": c["linear"], f"transformer ({manifest['name']})": t, "ensemble (mean)": c["ensemble"]}
    lines = ["## Transformer vs linear (generated by `python -m training.train_transformer`)", "",
             f"Base model `{manifest['config']['base_model']}`; config: `{json.dumps(manifest['config'])}`.",
             f"Training: {json.dumps({k: v for k, v in manifest['training'].items() if k != 'history'})}.", ""]
    for split in ("test", "real_test", "validation"):
        lines += [f"### {split}", "", "| system | macro-F1 | accuracy | false-flag rate | flag recall | "
                  + " | ".join(f"F1 `{label}`" for label in LABELS) + " |", "|---" * (5 + len(LABELS)) + "|"]
        for name, metrics in systems.items():
            m = metrics[split]
            lines.append(f"| {name} | {m['macro_f1']:.4f} | {m['accuracy']:.4f} | {m['flags']['false_flag_rate']} | "
                         f"{m['flags']['flag_recall']} | "
                         + " | ".join(f"{m['per_label'][label]['f1']:.3f}" for label in LABELS) + " |")
        lines.append("")
    base = c["linear"]["test"]["macro_f1"]
    best_name, best = max(((n, m["test"]["macro_f1"]) for n, m in systems.items() if not n.startswith("linear")),
                          key=lambda kv: kv[1])
    gain = 100 * (best - base)
    verdict = ("ships as a named model" if gain >= 1.0 else "does not ship; the linear model stays the default")
    lines += [(f"**Decision rule** (≥ 1 macro-F1 point on the test split): best challenger {best_name} "
               f"{best:.4f} vs linear {base:.4f} ({gain:+.2f} points) → {verdict}."), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = TransformerConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=defaults.corpus, help="folder with train/validation/test parquet files")
    parser.add_argument("--out", default=defaults.out, type=outdir.out_argument,
                        help="model directory to write (replaced only if it is a model directory)")
    parser.add_argument("--base-model", default=defaults.base_model, help="hub id or local directory")
    parser.add_argument("--name", default=defaults.name)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--max-length", type=int, default=defaults.max_length, help="tokens, head+tail truncation")
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--real-weight", type=float, default=defaults.real_weight)
    parser.add_argument("--freeze-embeddings", action="store_true", help="do not train the word embeddings")
    parser.add_argument("--keep-layers", type=int, default=defaults.keep_layers,
                        help="keep only the encoder's first N layers (0: all)")
    parser.add_argument("--max-real-false-flag-rate", type=float, default=defaults.max_real_false_flag_rate,
                        help="most benign validation social-media posts the thresholds may flag")
    parser.add_argument("--eval-every", type=int, default=defaults.eval_every, help="steps (0: once per epoch)")
    parser.add_argument("--patience", type=int, default=defaults.patience)
    parser.add_argument("--max-steps", type=int, default=defaults.max_steps, help="stop after this many steps (0: off)")
    parser.add_argument("--max-minutes", type=float, default=defaults.max_minutes, help="training time limit (0: off)")
    parser.add_argument("--train-subset", type=int, default=defaults.train_subset, help="stratified sample (0: all)")
    parser.add_argument("--eval-subset", type=int, default=defaults.eval_subset,
                        help="stratified validation sample for early stopping and calibration (0: all)")
    parser.add_argument("--save-dtype", choices=("float32", "float16"), default=defaults.save_dtype)
    parser.add_argument("--quantize", choices=("int8",), default=None, help="recorded in the manifest: int8 at load")
    parser.add_argument("--compare-with", default=None, help="linear model directory to compare and ensemble with")
    parser.add_argument("--report", default=None, help="markdown file for the comparison")
    args = parser.parse_args(argv)
    options = {k: v for k, v in vars(args).items() if k not in ("compare_with", "report")}
    manifest = train(TransformerConfig(**options), args.compare_with, args.report)
    print(json.dumps({name: manifest["metrics"][name]["macro_f1"] for name in manifest["metrics"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
