"""An exported ONNX model beside the torch model it came from: speed, memory, cold start and label agreement.

    python -m training.export_onnx --model pilkada_nlp/models/transformer --out /tmp/transformer-int8
    python benchmarks/onnx_speed.py --onnx /tmp/transformer-int8 --torch pilkada_nlp/models/transformer

Posts: the texts of ``data/samples/patrol_sample.csv`` (project-written, ~240 non-empty), or ``--posts N`` of them.
Each model runs in its own worker process (peak RSS = that process's ``VmHWM``): load seconds, ``predict_proba``
posts/s on the whole list with 1 and with 2 threads (ONNX Runtime intra-op threads; ``torch.set_num_threads`` for
torch), best of ``--repeat``, and whether torch was imported. Cold start: wall time of a fresh ``python -c "import
pilkada_nlp; pilkada_nlp.load_model(DIR).classify('…')"`` (median of 3). Agreement: share of posts whose primary
label (``predict``) is the same for the two models, and the largest probability difference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import provenance, table
from benchmarks.speed import peak_rss_mb, timed_process

SAMPLE = REPO / "data" / "samples" / "patrol_sample.csv"
POST = "Besok subuh ada amplop 100rb, asal coblos nomor 2"


def posts(n: int) -> list[str]:
    """Non-empty texts of the sample (read with ``csv``: pandas would add its own memory to the peak RSS)."""
    import csv

    with open(SAMPLE, encoding="utf-8", errors="replace", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle) if row["text"].strip()][:n]


def worker(model_dir: str, n: int, repeat: int) -> dict:
    texts = posts(n)
    start = time.perf_counter()
    import pilkada_nlp

    model = pilkada_nlp.load_model(model_dir)
    result = {"load_s": time.perf_counter() - start}
    model.predict_proba(texts[:16])
    for threads in (1, 2):
        if model.metadata["backend"] == "onnx":
            model.backend.set_threads(threads)
        else:
            import torch

            torch.set_num_threads(threads)
        best = min(_timed(model.predict_proba, texts) for _ in range(repeat))
        result[f"posts_per_s_{threads}_threads"] = len(texts) / best
    result["one_at_a_time_posts_per_s"] = 32 / _timed(lambda items: [model.classify(t) for t in items], texts[:32])
    result["labels"] = model.predict(texts)
    result["probabilities"] = model.predict_proba(texts).tolist()
    result["peak_rss_mb"] = peak_rss_mb()
    result["torch_imported"] = "torch" in sys.modules
    result["n"] = len(texts)
    return result


def _timed(fn, items) -> float:
    start = time.perf_counter()
    fn(items)
    return time.perf_counter() - start


def run(model_dir: str, n: int, repeat: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", model_dir, "--posts", str(n), "--repeat", str(repeat)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    if done.returncode:
        raise RuntimeError(f"worker for {model_dir} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold_start(model_dir: str, runs: int = 3) -> float:
    code = f"import pilkada_nlp; pilkada_nlp.load_model({model_dir!r}).classify({POST!r})"
    timed_process(code)
    return statistics.median(timed_process(code)[0] for _ in range(runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx", help="ONNX model directory")
    parser.add_argument("--torch", help="the torch (transformer backend) model it was exported from")
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.posts, args.repeat)))
        return 0
    if not (args.onnx and args.torch):
        parser.error("--onnx and --torch are required")
    results = {name: run(path, args.posts, args.repeat) for name, path in (("onnx", args.onnx), ("torch", args.torch))}
    cold = {name: cold_start(path) for name, path in (("onnx", args.onnx), ("torch", args.torch))}
    onnx, torch = results["onnx"], results["torch"]
    agree = float(np.mean([a == b for a, b in zip(onnx["labels"], torch["labels"])]))
    difference = float(np.abs(np.asarray(onnx["probabilities"]) - np.asarray(torch["probabilities"])).max())
    rows = [[f"{name} ({path})", f"{r['posts_per_s_1_threads']:,.1f}", f"{r['posts_per_s_2_threads']:,.1f}",
             f"{r['one_at_a_time_posts_per_s']:,.1f}", f"{r['load_s']:.2f}", f"{cold[name]:.2f}",
             f"{r['peak_rss_mb']:,.0f}", str(r["torch_imported"])]
            for (name, r), path in zip(results.items(), (args.onnx, args.torch))]
    print("\n".join([
        provenance("ONNX export against its torch source"),
        "",
        (f"Posts: {onnx['n']} texts of `data/samples/patrol_sample.csv`; batch = `predict_proba(list)`, best of "
         f"{args.repeat}; one at a time = `classify(str)` on 32 posts; cold start = median of 3 fresh processes."),
        "",
        table(["model", "batch posts/s, 1 thread", "batch posts/s, 2 threads", "one-at-a-time posts/s", "load s",
               "cold start s", "peak RSS MB", "torch imported"], rows),
        "",
        f"Primary labels equal on {agree:.1%} of the {onnx['n']} posts; largest probability difference {difference:.3f}.",
    ]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
