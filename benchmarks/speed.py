"""Speed and memory of the shipped model, with a plain scikit-learn baseline measured in the same process.

    python benchmarks/speed.py            # full run
    python benchmarks/speed.py --quick    # small run (used by the tests)

Reports posts/s in batch and one at a time, load time, cold start (a fresh process doing
``import pilkada_nlp; classify("…")``) and peak RSS. Figures are also given as ratios to the baseline, which hold on a
noisy machine better than absolute numbers. Posts are the authored samples in ``data/authored`` (real-looking,
committed), repeated to the requested count.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pilkada_nlp  # noqa: E402
from training.project_data import load_authored  # noqa: E402


def posts(n: int) -> list[str]:
    texts = load_authored()["text"].tolist()
    return [texts[i % len(texts)] for i in range(n)]


def rate(fn, texts: list[str], repeat: int = 3) -> float:
    """Best posts/s over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def cold_start() -> float:
    code = "import pilkada_nlp; pilkada_nlp.classify('Besok subuh ada amplop, coblos nomor 2')"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    return time.perf_counter() - start


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    n_batch, n_single, repeat = (500, 50, 1) if args.quick else (50_000, 2_000, 3)
    batch, single = posts(n_batch), posts(n_single)

    start = time.perf_counter()
    model = pilkada_nlp.load_model(args.model)
    load_seconds = time.perf_counter() - start
    model.predict_proba(single)  # warm caches once, as a long-running service would

    # Baseline: plain scikit-learn TF-IDF + LogisticRegression on raw text, fitted here on the same posts.
    labels = np.arange(len(single)) % 4
    baseline = LogisticRegression(max_iter=200).fit(TfidfVectorizer().fit(single).transform(single), labels)
    vectorizer = TfidfVectorizer().fit(single)
    baseline.fit(vectorizer.transform(single), labels)

    results = {
        "n_batch": n_batch,
        "model_batch_posts_per_s": rate(model.predict_proba, batch, repeat),
        "baseline_batch_posts_per_s": rate(lambda t: baseline.predict_proba(vectorizer.transform(t)), batch, repeat),
        "model_single_posts_per_s": rate(lambda t: [model.classify(x) for x in t], single, repeat),
        "baseline_single_posts_per_s": rate(
            lambda t: [baseline.predict_proba(vectorizer.transform([x])) for x in t], single, repeat
        ),
        "model_load_seconds": load_seconds,
        "cold_start_seconds": cold_start(),
        "peak_rss_mb": peak_rss_mb(),
    }
    results["batch_ratio_to_baseline"] = results["model_batch_posts_per_s"] / results["baseline_batch_posts_per_s"]
    results["single_ratio_to_baseline"] = results["model_single_posts_per_s"] / results["baseline_single_posts_per_s"]
    try:
        import torch  # noqa: F401
    except ImportError:
        results["transformer"] = "skipped: the [transformer] extra (torch) is not installed"
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
