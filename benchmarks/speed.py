"""Speed and memory of pilkada-nlp models beside two reference baselines, each model measured in its own process.

    python benchmarks/speed.py                 # full run (a few minutes on 2 cores)
    python benchmarks/speed.py --quick         # small sizes, one repeat (used by the tests)
    python benchmarks/speed.py --model DIR     # measure this model directory instead of the shipped models
    python benchmarks/speed.py --torch-threads 1   # torch models on one thread (faster on a busy 2-core machine)
    python benchmarks/speed.py --paths         # the linear model's fast path against its reference path, one process

For every model, a fresh worker process loads it and reports posts/s in batch (``predict_proba`` on a list; for
pilkada-nlp models also ``classify`` on a list, which builds ``Prediction`` objects) and one post at a time
(``classify(str)``; baselines: ``predict_proba([post])``), the load time and its peak RSS (``VmHWM``: interpreter,
libraries, model and work together; one process per model so the numbers are not mixed). Cold start is the wall time
of a fresh ``python -c "import pilkada_nlp; pilkada_nlp.classify('…')"`` (median of 5), beside a bare interpreter.

Models: every shipped model (the linear default, and transformer-backend models when the [transformer] extra is
installed). While no transformer model is shipped, the transformer backend is measured on models built from a local
backbone (``--backbone``, default ``build/backbones/e5-small`` from ``training/backbones``) with an untrained 4-label
head, fp32 and int8 (the manifest's ``quantize``): speed does not depend on the weights' values. In the same run,
the references: plain scikit-learn TF-IDF + LogisticRegression fitted on the posts, and a randomly initialised
BERT-base-shaped ``transformers`` model (IndoBERT-base's shape: 12 layers, hidden 768, vocabulary 31,923; its weights
cannot be downloaded here) in fp32 and dynamic int8 (quantised in the worker, so its peak RSS includes the fp32
weights it started from), fed by a WordPiece tokenizer trained on the posts. Random weights compute exactly as fast
as trained ones.

Posts: the authored samples in ``data/authored`` (real-looking, committed), repeated to the requested count; the
linear model's per-word n-gram cache is therefore warm after the first pass, as in a long-running service.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import provenance, table

DEFAULT_BACKBONE = REPO / "build" / "backbones" / "e5-small"
COLD_START_CODE = "import pilkada_nlp; pilkada_nlp.classify('Besok subuh ada amplop 100rb, asal coblos nomor 2')"
INDOBERT_VOCAB = 31_923  # indobenchmark/indobert-base-p1
MAX_LENGTH = 128  # as in the IndoBERTweet fine-tuning scripts
TORCH_BATCH = 32
#: (batch posts, one-at-a-time posts, repeats) per kind of model; transformers are ~1000x slower on CPU.
SIZES = {
    ("linear", False): (50_000, 2_000, 3), ("linear", True): (500, 50, 1),
    ("torch", False): (128, 16, 2), ("torch", True): (8, 2, 1),
}
TORCH_BACKENDS = ("transformer", "ensemble")
TARGETS = {"batch_posts_per_s": 10_000, "cold_start_s": 1.0, "peak_rss_mb": 300, "int8_posts_per_s": 150}


def rate(fn: Callable[[list[str]], object], texts: list[str], repeat: int) -> float:
    """Best posts/s over ``repeat`` runs (the least disturbed by other work on the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def cycle(texts: list[str], n: int) -> list[str]:
    return [texts[i % len(texts)] for i in range(n)]


# -- models, built inside a worker process --------------------------------------------------------------------------
def pilkada_model(model_dir: str, texts: list[str], labels: list[str], quantize: str | None = None,
                  ) -> dict[str, Callable]:
    import pilkada_nlp

    model = pilkada_nlp.load_model(model_dir, quantize=quantize)
    return {"batch": model.predict_proba, "classify_batch": model.classify, "one": model.classify}


def sklearn_baseline(model_dir: str, texts: list[str], labels: list[str]) -> dict[str, Callable]:
    """Plain TF-IDF (word unigrams, scikit-learn defaults) + LogisticRegression, fitted on the posts' own labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer().fit(texts)
    classifier = LogisticRegression(max_iter=300).fit(vectorizer.transform(texts), labels)

    def batch(items: list[str]):
        return classifier.predict_proba(vectorizer.transform(items))

    return {"batch": batch, "one": lambda text: batch([text])}


def bert_base(int8: bool) -> Callable[[str, list[str], list[str]], dict[str, Callable]]:
    def build(model_dir: str, texts: list[str], labels: list[str]) -> dict[str, Callable]:
        import torch
        from tokenizers import BertWordPieceTokenizer
        from transformers import BertConfig, BertForSequenceClassification

        torch.manual_seed(0)
        tokenizer = BertWordPieceTokenizer(lowercase=True)
        tokenizer.train_from_iterator(texts, vocab_size=INDOBERT_VOCAB, show_progress=False)
        tokenizer.enable_truncation(MAX_LENGTH)
        tokenizer.enable_padding()
        model = BertForSequenceClassification(BertConfig(vocab_size=INDOBERT_VOCAB, num_labels=4)).eval()
        if int8:
            torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)

        def batch(items: list[str]) -> np.ndarray:
            out = []
            for start in range(0, len(items), TORCH_BATCH):
                encoded = tokenizer.encode_batch(items[start : start + TORCH_BATCH])
                ids = torch.tensor([e.ids for e in encoded])
                mask = torch.tensor([e.attention_mask for e in encoded])
                with torch.inference_mode():
                    out.append(torch.softmax(model(input_ids=ids, attention_mask=mask).logits, dim=-1).numpy())
            return np.concatenate(out)

        return {"batch": batch, "one": lambda text: batch([text])}

    return build


BUILDERS = {"pilkada": pilkada_model, "sklearn": sklearn_baseline, "bert-fp32": bert_base(False),
            "bert-int8": bert_base(True)}


def worker(kind: str, posts_file: str, model_dir: str, n_batch: int, n_single: int, repeat: int,
           torch_threads: int = 0, quantize: str = "") -> dict:
    """Load one model and time it; runs in its own process so its peak RSS is this model's alone."""
    data = json.loads(Path(posts_file).read_text(encoding="utf-8"))
    texts, labels = data["texts"], data["labels"]
    batch, single = cycle(texts, n_batch), cycle(texts, n_single)
    start = time.perf_counter()
    model = BUILDERS[kind](model_dir, texts, labels, **({"quantize": quantize} if quantize else {}))
    result = {"load_s": time.perf_counter() - start}
    torch = sys.modules.get("torch")  # imported by the model only if it needs it
    if torch is not None:
        if torch_threads:
            torch.set_num_threads(torch_threads)
        result["torch_threads"] = torch.get_num_threads()
    model["batch"](single[:64])  # warm up once, as a long-running service would
    result["batch_posts_per_s"] = rate(model["batch"], batch, repeat)
    if "classify_batch" in model:
        result["classify_batch_posts_per_s"] = rate(model["classify_batch"], batch, repeat)
    result["one_posts_per_s"] = rate(lambda items: [model["one"](text) for text in items], single, repeat)
    result["peak_rss_mb"] = peak_rss_mb()
    result["n_batch"], result["n_single"] = n_batch, n_single
    return result


# -- the parent: which models, subprocesses, cold start, report ----------------------------------------------------
def run_worker(kind: str, posts_file: Path, sizes: tuple[int, int, int], model_dir: str = "",
               torch_threads: int = 0, quantize: str = "") -> dict:
    n_batch, n_single, repeat = sizes
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--posts", str(posts_file),
               "--model-dir", model_dir, "--sizes", str(n_batch), str(n_single), str(repeat),
               "--torch-threads", str(torch_threads), "--quantize", quantize]
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"speed worker {kind} {model_dir} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_process(code: str) -> tuple[float, str]:
    """Wall seconds and stdout of a fresh ``python -c code``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"python -c {code!r} exited with {done.returncode}:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def cold_start(runs: int) -> dict:
    """Median and minimum wall time of the cold-start command, its peak RSS, and a bare interpreter's time.

    The command prints its ``/proc/self/status`` after classifying (microseconds, after the work timed), to read
    ``VmHWM``, its own peak RSS.
    """
    code = f"{COLD_START_CODE}; print(open('/proc/self/status').read())"
    timed_process(code)  # once unmeasured, so files are in the page cache for every run below
    classify = [timed_process(code) for _ in range(runs)]
    bare = [timed_process("pass")[0] for _ in range(runs)]
    peaks = [vm_hwm_mb(out) for _, out in classify]
    return {"median_s": statistics.median(s for s, _ in classify), "min_s": min(s for s, _ in classify),
            "peak_rss_mb": max(peaks) if None not in peaks else None,
            "bare_python_median_s": statistics.median(bare), "runs": runs}


def vm_hwm_mb(status: str) -> float | None:
    """``VmHWM`` (peak RSS since exec) from a ``/proc/<pid>/status`` text, in MB; None where there is none."""
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux: ``VmHWM``, not ``ru_maxrss``, which keeps the peak of the (bigger) process
    that spawned this one, since the spawn shared its memory until ``exec``."""
    status = Path("/proc/self/status")
    peak = vm_hwm_mb(status.read_text()) if status.is_file() else None
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024  # bytes on macOS, kB elsewhere


def torch_missing(skip: bool) -> str | None:
    if skip:
        return "skipped: --no-torch"
    missing = [name for name in ("torch", "transformers", "tokenizers") if importlib.util.find_spec(name) is None]
    if missing:
        return (f"skipped: the [transformer] extra is not installed (missing {', '.join(missing)}); "
                f"install with `pip install torch==2.13.0 && pip install -e '.[transformer]'`")
    return None


def pilkada_models(requested: list[str]) -> list[tuple[str, Path, str]]:
    """(name, directory, kind) of the requested models, or of every shipped model; kind is the backend, with
    ``-int8`` for a transformer quantised at load. Every model with a transformer in it (a transformer or an
    ensemble) that is not quantised already is listed twice: as stored, and with ``quantize="int8"`` at load."""
    from pilkada_nlp.models import available_models, resolve
    from pilkada_nlp.models.manifest import read_manifest

    out = []
    for name in requested or available_models():
        directory = resolve(name)
        manifest = read_manifest(directory)
        backend, quantised = str(manifest.get("backend")), manifest.get("quantize") == "int8"
        out.append((str(manifest.get("name", name)), directory, backend + ("-int8" if quantised else "")))
        if backend in TORCH_BACKENDS and not quantised:
            out.append((f"{manifest.get('name', name)} int8 at load", directory, f"{backend}-int8-at-load"))
    return out


def backbone_models(backbone: Path, out: Path) -> list[Path]:
    """fp32 and int8 transformer-backend model directories: ``backbone`` plus an untrained 4-label head, with the
    manifest fields ``training/train_transformer.py`` writes (max length, batch sizes, quantize)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import pilkada_nlp
    from pilkada_nlp.labels import BENIGN, LABELS
    from pilkada_nlp.models.manifest import write_manifest
    from pilkada_nlp.text import NORMALIZER_VERSION

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        backbone, local_files_only=True, use_safetensors=True, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={label: i for i, label in enumerate(LABELS)})
    tokenizer = AutoTokenizer.from_pretrained(backbone, local_files_only=True)
    directories = []
    for quantize in (None, "int8"):
        directory = out / f"{backbone.name}-{quantize or 'fp32'}"
        model.save_pretrained(directory, safe_serialization=True)
        tokenizer.save_pretrained(directory)
        write_manifest(directory, {
            "name": f"{backbone.name} untrained head, {quantize or 'fp32'}", "version": pilkada_nlp.__version__,
            "backend": "transformer", "labels": list(LABELS), "normalizer_version": NORMALIZER_VERSION,
            "temperature": 1.0, "thresholds": {label: 0.5 for label in LABELS if label != BENIGN},
            "max_length": MAX_LENGTH, "inference_batch_size": 64, "batch_size": 256, "quantize": quantize,
        })
        directories.append(directory)
    return directories


def write_posts(path: Path, quick: bool) -> tuple[int, float]:
    """The authored posts and labels, as JSON for the workers (every 10th with ``--quick``, so baselines fit fast)."""
    from training.project_data import load_authored

    authored = load_authored().iloc[:: 10 if quick else 1]
    path.write_text(json.dumps({"texts": authored["text"].tolist(), "labels": authored["label"].tolist()},
                               ensure_ascii=False), encoding="utf-8")
    return len(authored), float(authored["text"].str.len().mean())


def fmt(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def measure(args: argparse.Namespace) -> str:
    rows: list[tuple[str, str, dict | str]] = []  # (name, kind of model, result or skip message)
    skip_torch = torch_missing(args.no_torch)
    with tempfile.TemporaryDirectory() as tmp:
        posts_file = Path(tmp) / "posts.json"
        posts = write_posts(posts_file, args.quick)
        models = pilkada_models(args.model)
        no_transformer = "skipped: no model with backend 'transformer' (none shipped; pass --model DIR)"
        if not skip_torch and not args.model and not any(k.startswith("transformer") for _, _, k in models):
            if args.backbone.is_dir():
                print(f"building transformer-backend models from {args.backbone} ...", file=sys.stderr, flush=True)
                models += pilkada_models([str(d) for d in backbone_models(args.backbone, Path(tmp))])
            else:
                no_transformer = f"skipped: no transformer model shipped, and no backbone in {args.backbone}"
        for name, directory, kind in models:
            backend = kind.split("-")[0]
            if backend in TORCH_BACKENDS and skip_torch:
                rows.append((f"pilkada-nlp {name} ({backend})", kind, skip_torch))
                continue
            sizes = SIZES[("linear" if backend == "linear" else "torch", args.quick)]
            print(f"measuring {name} ({backend}) ...", file=sys.stderr, flush=True)
            quantize = "int8" if kind.endswith("-at-load") else ""
            result = run_worker("pilkada", posts_file, sizes, str(directory), args.torch_threads, quantize)
            rows.append((f"pilkada-nlp {name} ({backend})", kind, result))
        if not any(k.startswith("transformer") for _, _, k in models):
            rows.append(("pilkada-nlp transformer backend", "transformer", skip_torch or no_transformer))
        print("measuring scikit-learn baseline ...", file=sys.stderr, flush=True)
        baseline = run_worker("sklearn", posts_file, SIZES[("linear", args.quick)])
        rows.append(("reference: scikit-learn TF-IDF + LogisticRegression", "sklearn", baseline))
        for kind, label in (("bert-fp32", "fp32"), ("bert-int8", "dynamic int8")):
            name = f"reference: BERT-base shape, random weights, {label}"
            if skip_torch:
                rows.append((name, kind, skip_torch))
                continue
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            result = run_worker(kind, posts_file, SIZES[("torch", args.quick)], "", args.torch_threads)
            rows.append((name, kind, result))
    print("measuring cold start ...", file=sys.stderr, flush=True)
    cold = cold_start(2 if args.quick else 5)
    return report(rows, cold, posts)


def report(rows: list[tuple[str, str, dict | str]], cold: dict, posts: tuple[int, float]) -> str:
    baseline = next(result for _, kind, result in rows if kind == "sklearn")
    lines = []
    for name, _, result in rows:
        if isinstance(result, str):
            lines.append([name, result, "", "", "", "", "", ""])
            continue
        threads = result.get("torch_threads")
        lines.append([
            f"{name} [torch threads: {threads}]" if threads else name,
            fmt(result["batch_posts_per_s"]), fmt(result.get("classify_batch_posts_per_s")),
            fmt(result["one_posts_per_s"]), fmt(result["load_s"], 2), fmt(result["peak_rss_mb"]),
            f"{result['batch_posts_per_s'] / baseline['batch_posts_per_s']:.2f}",
            f"{result['n_batch']:,} / {result['n_single']:,}",
        ])
    linear = next(((name, r) for name, kind, r in rows if kind == "linear" and isinstance(r, dict)), None)
    targets = []
    if linear:
        name, r = linear
        targets += [
            [f"{name}: batch posts/s", f"≥ {TARGETS['batch_posts_per_s']:,}", fmt(r["batch_posts_per_s"]),
             "meets" if r["batch_posts_per_s"] >= TARGETS["batch_posts_per_s"] else "below"],
            [f"{name}: peak RSS MB (worker)", f"≤ {TARGETS['peak_rss_mb']}", fmt(r["peak_rss_mb"]),
             "meets" if r["peak_rss_mb"] <= TARGETS["peak_rss_mb"] else "above"],
        ]
    targets.append(["cold start s (median)", f"≤ {TARGETS['cold_start_s']}", fmt(cold["median_s"], 2),
                    "meets" if cold["median_s"] <= TARGETS["cold_start_s"] else "above"])
    for name, kind, r in rows:
        if "int8" not in kind and not (kind == "transformer" and isinstance(r, str)):
            continue
        target = f"int8 ≥ {TARGETS['int8_posts_per_s']}"
        if isinstance(r, str):
            targets.append([f"{name}: batch posts/s", target, r, ""])
        else:
            verdict = "meets" if r["batch_posts_per_s"] >= TARGETS["int8_posts_per_s"] else "below"
            targets.append([f"{name}: batch posts/s", target, fmt(r["batch_posts_per_s"]), verdict])
    return "\n".join([
        provenance("Speed and memory"),
        (f"Posts: {posts[0]:,} authored samples (mean {posts[1]:.0f} characters), repeated. "
         "Batch = `predict_proba(list)`; classify() batch builds `Prediction` objects; one-at-a-time = "
         "`classify(str)` per post (baselines: `predict_proba([post])`). Best of the repeats. "
         "Peak RSS = `VmHWM` of the worker process that loaded and ran only that model."),
        "",
        table(["model", "batch posts/s", "classify() batch posts/s", "one-at-a-time posts/s", "load s",
               "peak RSS MB", "batch × sklearn", "posts (batch / single)"], lines),
        "",
        (f"Cold start (`python -c \"{COLD_START_CODE}\"`, {cold['runs']} runs after one unmeasured): "
         f"median {cold['median_s']:.2f} s, min {cold['min_s']:.2f} s, peak RSS {fmt(cold['peak_rss_mb'])} MB; "
         f"a bare `python -c pass` takes {cold['bare_python_median_s']:.2f} s (median)."),
        "",
        table(["target (issue)", "target", "measured", "verdict"], targets),
        "",
    ])


# -- the linear model's fast path against the reference path, side by side in one process ---------------------------
@contextmanager
def reference_path():
    """The linear model as shipped before its fast paths: :func:`pilkada_nlp.text.normalize_reference` and
    ``NgramFeatures.transform_reference`` (both kept as the specification the fast paths are tested against)."""
    from pilkada_nlp.backends import linear
    from pilkada_nlp.models import classifier
    from pilkada_nlp.text import normalize_reference

    saved = classifier.normalize, classifier.normalize_batch, linear.NgramFeatures.transform
    classifier.normalize, linear.NgramFeatures.transform = normalize_reference, linear.NgramFeatures.transform_reference
    classifier.normalize_batch = lambda texts, version: [normalize_reference(t, version) for t in texts]
    try:
        yield
    finally:
        classifier.normalize, classifier.normalize_batch, linear.NgramFeatures.transform = saved


def fresh_model(name: str):
    """A newly loaded model (``load_model`` caches), so each path starts with empty caches."""
    from pilkada_nlp.models import _load, resolve

    return _load.__wrapped__(resolve(name))


def linear_paths(model_name: str, quick: bool) -> str:
    """Posts/s of the reference and the fast path on the same posts, interleaved round by round (so both see the
    same machine load), best round of each; plus a check that both give the same probabilities."""
    from training.project_data import load_authored

    texts = load_authored()["text"].tolist()
    n_batch, n_single, rounds = (5_000, 500, 2) if quick else (50_000, 3_000, 3)
    batch, single = cycle(texts, n_batch), cycle(texts, n_single)
    models = {"reference": fresh_model(model_name), "fast": fresh_model(model_name)}
    paths = {"reference": reference_path, "fast": nullcontext}
    measures = {
        "first pass, distinct posts (cold caches): predict_proba": lambda m: (lambda items: m.predict_proba(items), texts),
        "batch (cycled posts): predict_proba": lambda m: (m.predict_proba, batch),
        "batch (cycled posts): classify(list)": lambda m: (m.classify, batch),
        "one at a time: classify(str)": lambda m: (lambda items: [m.classify(t) for t in items], single),
    }
    best: dict[tuple[str, str], float] = {}
    for round_ in range(rounds):
        for measure_name, make in measures.items():
            if measure_name.startswith("first pass") and round_:
                continue
            for path in ("reference", "fast"):
                fn, items = make(models[path])
                with paths[path]():
                    start = time.perf_counter()
                    fn(items)
                    seconds = time.perf_counter() - start
                key = (measure_name, path)
                best[key] = max(best.get(key, 0.0), len(items) / seconds)
    with reference_path():
        expected = models["reference"].predict_proba(texts)
    identical = bool(np.array_equal(expected, models["fast"].predict_proba(texts), equal_nan=True))
    lines = [[name, fmt(best[(name, "reference")]), fmt(best[(name, "fast")]),
              f"{best[(name, 'fast')] / best[(name, 'reference')]:.2f}×"] for name in measures]
    one = best[("one at a time: classify(str)", "fast")] / best[("batch (cycled posts): classify(list)", "fast")]
    return "\n".join([
        provenance(f"Linear model: fast path against the reference path ({model_name})"),
        "",
        (f"Posts: {len(texts):,} distinct authored samples; batches of {n_batch:,} cycled from them, {n_single:,} one at a "
         f"time. One process, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; each measure runs the "
         f"reference then the fast path, {rounds} rounds, best round of each (the first-pass row: one round, "
         "on freshly loaded models). Probabilities of the two paths on the distinct posts: "
         f"{'bit-identical' if identical else 'DIFFERENT'}."),
        "",
        table(["measure", "reference posts/s", "fast posts/s", "fast ÷ reference"], lines),
        "",
        f"One-at-a-time ÷ batch `classify` rate, fast path: {one:.2f}.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--no-torch", action="store_true",
                        help="skip the torch models (transformer backend, BERT-base references); the tests use it")
    parser.add_argument("--backbone", type=Path, default=DEFAULT_BACKBONE,
                        help="local encoder for the transformer-backend rows while no transformer model is shipped")
    parser.add_argument("--torch-threads", type=int, default=0,
                        help="torch.set_num_threads for the torch models (0: torch's default, one per core)")
    parser.add_argument("--model", action="append", default=[],
                        help="model name or directory to measure (repeatable; default: every shipped model)")
    parser.add_argument("--paths", action="store_true",
                        help="only the linear model's fast path against its reference path (one process), and cold start")
    parser.add_argument("--worker", choices=sorted(BUILDERS), help=argparse.SUPPRESS)
    parser.add_argument("--posts", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", default="", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--quantize", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.posts, args.model_dir, *args.sizes, args.torch_threads,
                                args.quantize)))
        return 0
    if args.paths:
        cold = cold_start(2 if args.quick else 5)
        print(linear_paths((args.model or ["default"])[0], args.quick))
        print(f"\nCold start (`python -c \"{COLD_START_CODE}\"`, {cold['runs']} runs after one unmeasured): median "
              f"{cold['median_s']:.2f} s, min {cold['min_s']:.2f} s, peak RSS {fmt(cold['peak_rss_mb'])} MB; a bare "
              f"`python -c pass` takes {cold['bare_python_median_s']:.2f} s (median); load average (1 min) at the end "
              f"{os.getloadavg()[0]:.2f}.")
        return 0
    try:
        print(measure(args))
    except (FileNotFoundError, ValueError) as error:  # an unknown --model, or a model directory that fails its checks
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
