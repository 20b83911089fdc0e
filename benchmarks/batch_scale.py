"""End-to-end batch scoring at scale: rows/s and peak memory of ``pilkada-nlp score`` on a generated CSV.

    python benchmarks/batch_scale.py                    # 100,000 rows (default)
    python benchmarks/batch_scale.py --rows 1000000     # a million rows
    python benchmarks/batch_scale.py --jobs 2           # two worker processes
    python benchmarks/batch_scale.py --quick            # 2,000 rows (used by the tests)

The input imitates a monitoring export: ``post_id, platform, text`` with the authored posts of ``data/authored``
cycled, half of them with a unique hashtag appended (new words cost the feature cache, as real data does), and 1 in
100 rows empty (scored rows and error rows both pass through the whole pipeline). The command runs in a child process,
exactly as a user runs it; its wall time and its own peak RSS (``wait4``) are reported, with the model alone
(``predict_proba`` on 20,000 of the same posts, in this process, just before) as the reference for the overhead of
reading, checking and writing. Targets: at least 5,000 rows/s, peak RSS at most 1 GB whatever the file size
(with ``--jobs``, the command and its workers together).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import provenance, table
from pilkada_nlp import load_model
from pilkada_nlp.io import open_table
from training.project_data import load_authored

TARGETS = {"rows_per_s": 5_000, "peak_rss_mb": 1024}
PLATFORMS = ("facebook", "x", "tiktok", "instagram", "whatsapp_group")


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write the synthetic export in blocks, so the generator's own memory stays small."""
    texts = load_authored()["text"].tolist()
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["post_id", "platform", "text"])
        for start in range(0, rows, 50_000):
            n = min(50_000, rows - start)
            picks = rng.integers(0, len(texts), n)
            tags = rng.integers(0, 10**6, n)
            for i, (pick, tag) in enumerate(zip(picks, tags)):
                row = start + i
                text = "" if row % 100 == 99 else texts[pick] + (f" #pilkada{tag}" if tag % 2 else "")
                writer.writerow([f"P{row:08d}", PLATFORMS[row % len(PLATFORMS)], text])


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants now, from /proc (0 once they are gone)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_score(src: Path, dst: Path, chunksize: int | None, jobs: int) -> dict[str, float]:
    """Wall time and memory of ``pilkada-nlp score`` run as a child process.

    ``peak_rss_mb`` is the command's own peak (``wait4``: exact); ``peak_tree_rss_mb`` is the largest sum over the
    command and its worker processes, sampled every 0.2 s (the figure that matters with ``--jobs``).
    """
    command = [sys.executable, "-m", "pilkada_nlp.cli", "score", str(src), "-o", str(dst), "--quiet",
               "--jobs", str(jobs)]
    if chunksize:
        command += ["--chunksize", str(chunksize)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    peak_tree = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.wait(0.2):
            peak_tree = max(peak_tree, tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"pilkada-nlp score failed with exit code {process.returncode}")
    own = usage.ru_maxrss / 1024
    return {"wall_s": wall, "peak_rss_mb": own, "peak_tree_rss_mb": max(peak_tree, own)}


def model_rate(src: Path, n: int = 20_000) -> float:
    """posts/s of ``predict_proba`` alone on the first ``n`` non-empty posts of ``src`` (best of 2), in this process:
    the ceiling that reading, checking and writing eat into."""
    texts = [t for t in pd.read_csv(src, nrows=n, dtype=str, keep_default_na=False)["text"] if t]
    model = load_model()
    model.predict_proba(texts[:500])
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        model.predict_proba(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="2,000 rows, no model-only reference")
    parser.add_argument("--output-format", default="csv", choices=("csv", "parquet", "jsonl"))
    parser.add_argument("--chunksize", type=int, default=None, help="default: pilkada-nlp's own")
    parser.add_argument("--jobs", type=int, default=1, help="pilkada-nlp score --jobs")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON instead of Markdown")
    args = parser.parse_args(argv)
    rows = 2_000 if args.quick else args.rows

    with tempfile.TemporaryDirectory(prefix="batch_scale_") as folder:
        src, dst = Path(folder) / "posts.csv", Path(folder) / f"scored.{args.output_format}"
        generate(src, rows)
        reference = None if args.quick else model_rate(src)
        run = run_score(src, dst, args.chunksize, args.jobs)
        written = sum(len(chunk) for chunk in open_table(dst).chunks(100_000))
        result = {
            "rows": rows, "jobs": args.jobs, "input_mb": round(src.stat().st_size / 2**20, 1),
            "output_mb": round(dst.stat().st_size / 2**20, 1), "output_rows": written,
            "wall_s": round(run["wall_s"], 1),
            "rows_per_s": round(rows / run["wall_s"]), "peak_rss_mb": round(run["peak_rss_mb"]),
            "peak_tree_rss_mb": round(run["peak_tree_rss_mb"]),
        }
    if reference is not None:
        result["model_only_posts_per_s"] = round(reference)
    if result["output_rows"] != rows:
        raise SystemExit(f"output has {result['output_rows']} rows, input {rows}")
    if args.json:
        print(json.dumps(result))
        return 0
    print(provenance(f"Batch scoring, {rows:,} rows (CSV -> {args.output_format}, --jobs {args.jobs})"))
    memory = max(result["peak_rss_mb"], result["peak_tree_rss_mb"])
    print(table(["measure", "target", "measured", "verdict"], [
        ["end-to-end rows/s", f"≥ {TARGETS['rows_per_s']:,}", f"{result['rows_per_s']:,}",
         "meets" if result["rows_per_s"] >= TARGETS["rows_per_s"] else "below"],
        ["peak RSS (MB), command" + (" + workers, sampled" if args.jobs > 1 else ""), f"≤ {TARGETS['peak_rss_mb']:,}",
         f"{memory:,}", "meets" if memory <= TARGETS["peak_rss_mb"] else "above"],
    ]))
    print()
    details = [
        ["input", f"{result['input_mb']} MB, {rows:,} rows"],
        ["output", f"{result['output_mb']} MB, {result['output_rows']:,} rows"],
        ["wall time", f"{result['wall_s']} s"],
    ]
    if "model_only_posts_per_s" in result:
        details.append(["model alone, one process (predict_proba on 20,000 of the posts)",
                        f"{result['model_only_posts_per_s']:,} posts/s"])
    print(table(["", ""], details))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
