"""Every available model on the corpus test splits, beside a majority-class baseline: per-label precision, recall
and F1, the confusion matrix, a per-source breakdown and the hard negatives.

    python benchmarks/corpus_eval.py                                  # shipped models, data/processed test + real_test
    python benchmarks/corpus_eval.py --corpus DIR --model NAME_OR_DIR   # --model is repeatable
    python benchmarks/corpus_eval.py --quick                          # 300 sampled rows per split

Hard negatives are benign posts that report or debunk a violation, the posts a keyword filter would flag: authored
benign posts and hand-annotated real benign posts whose ``subtype`` is one of ``HARD_NEGATIVE_SUBTYPES``. On them
every flag is a false flag. Metrics come from ``training/evaluate.py``, as in the trainer and the model card. The
corpus is built first (``python -m training.build_corpus``, ~1 min) when it is missing and ``--data-dir`` exists.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.common import provenance, table
from pilkada_nlp.labels import BENIGN, LABELS
from training.evaluate import by_group, flag_metrics, label_metrics

HARD_NEGATIVE_SUBTYPES = ("news_report", "citizen_report", "fact_check")
QUICK_ROWS = 300


def hard_negative_masks(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Boolean masks of the hard-negative subsets: authored, real annotated, and both together."""
    hard = (frame["label"] == BENIGN) & frame["subtype"].isin(HARD_NEGATIVE_SUBTYPES)
    authored = hard & (frame["source"] == "authored")
    real = hard & frame["origin"].fillna("").str.startswith("annotated")
    return {"authored": authored, "real annotated": real, "all": authored | real}


def read_corpus(corpus: Path, splits: list[str], quick: bool, seed: int) -> dict[str, pd.DataFrame]:
    frames = {}
    for split in ["train", *splits]:
        frame = pd.read_parquet(corpus / f"{split}.parquet")
        if quick and split != "train" and len(frame) > QUICK_ROWS:
            frame = frame.sample(n=QUICK_ROWS, random_state=seed).reset_index(drop=True)
        frames[split] = frame
    return frames


def load_models(requested: list[str]) -> tuple[list[tuple[str, object]], list[str]]:
    """Loaded (name, classifier) pairs, and one message per model that could not be loaded here."""
    from pilkada_nlp import load_model
    from pilkada_nlp.models import available_models, resolve
    from pilkada_nlp.models.manifest import read_manifest

    loaded, skipped = [], []
    for name in requested or available_models():
        directory = resolve(name)
        backend = read_manifest(directory).get("backend")
        if backend == "transformer" and importlib.util.find_spec("torch") is None:
            skipped.append(f"{name}: skipped, the [transformer] extra is not installed "
                           f"(`pip install torch==2.13.0 && pip install -e '.[transformer]'`)")
            continue
        model = load_model(directory)
        loaded.append((f"{model.metadata.get('name', name)} ({backend})", model))
    if not any(read_manifest(resolve(n)).get("backend") == "transformer" for n in requested or available_models()):
        skipped.append("transformer backend: skipped, no model with backend 'transformer' (none shipped; "
                       "pass --model DIR)")
    return loaded, skipped


def fingerprint_warnings(corpus: Path, models: list[tuple[str, object]]) -> list[str]:
    """A warning per model trained on another corpus build: its test split may then overlap the model's training data,
    and the scores would not be held-out scores."""
    stats = corpus / "corpus_stats.json"
    corpus_print = json.loads(stats.read_text(encoding="utf-8")).get("fingerprint") if stats.is_file() else None
    warnings = []
    for name, model in models:
        trained_on = model.metadata.get("training_data", {}).get("fingerprint")
        if corpus_print is None or trained_on is None:
            warnings.append(f"{name}: cannot tell whether it was trained on this corpus build (no fingerprint)")
        elif trained_on != corpus_print:
            warnings.append(f"**WARNING** {name} was trained on corpus {trained_on[:12]}, this corpus is "
                            f"{corpus_print[:12]}: its test splits may overlap the model's training data, so these "
                            "are not held-out scores; retrain the model or evaluate on the corpus it was trained on")
    return warnings


def f(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def split_report(name: str, split: str, frame: pd.DataFrame, predicted: list[str], majority: str) -> str:
    """Tables for one model on one split, the majority-class baseline beside each number."""
    truth = frame["label"]
    baseline = [majority] * len(frame)
    model_m, base_m = label_metrics(truth, predicted), label_metrics(truth, baseline)
    model_f, base_f = flag_metrics(truth, predicted), flag_metrics(truth, baseline)
    per_label = [
        [label, f(model_m["per_label"][label]["precision"]), f(model_m["per_label"][label]["recall"]),
         f(model_m["per_label"][label]["f1"]), model_m["per_label"][label]["support"],
         f(base_m["per_label"][label]["f1"])]
        for label in LABELS
    ]
    per_label += [
        ["**macro-F1** (labels present)", "", "", f(model_m["macro_f1"]), model_m["n"], f(base_m["macro_f1"])],
        ["accuracy", "", "", f(model_m["accuracy"]), "", f(base_m["accuracy"])],
        ["false-flag rate (benign flagged)", "", "", f(model_f["false_flag_rate"]), model_f["benign_n"],
         f(base_f["false_flag_rate"])],
        ["flag recall (non-benign flagged)", "", "", f(model_f["flag_recall"]), model_f["non_benign_n"],
         f(base_f["flag_recall"])],
    ]
    matrix = model_m["confusion_matrix"]["matrix"]
    confusion = [[f"**{label}**", *row] for label, row in zip(LABELS, matrix)]

    scored = frame.assign(predicted=predicted, baseline=baseline)
    model_groups, base_groups = by_group(scored, "source"), by_group(scored, "source", predicted="baseline")
    sources = [
        [source, g["n"], f(g["macro_f1"]), f(g["accuracy"]), f(base_groups[source]["macro_f1"]),
         f(base_groups[source]["accuracy"]), ", ".join(f"{k} {v}" for k, v in sorted(g["labels"].items()))]
        for source, g in sorted(model_groups.items())
    ]

    hard = []
    for subset, mask in hard_negative_masks(frame).items():
        flagged = pd.Series(predicted)[mask.to_numpy()]
        if not len(flagged):
            hard.append([subset, 0, "", "", ""])
            continue
        as_labels = flagged[flagged != BENIGN].value_counts()
        hard.append([subset, len(flagged), f(float((flagged != BENIGN).mean())),
                     ", ".join(f"{label} {n}" for label, n in as_labels.items()) or "none",
                     f(float(majority != BENIGN))])
    return "\n".join([
        f"### {name} on `{split}` (n={len(frame):,})",
        "",
        table(["label", "precision", "recall", "F1", "support", f"majority ({majority}) F1"], per_label),
        "",
        "Confusion matrix (rows = truth, columns = predicted):",
        "",
        table(["truth \\ predicted", *LABELS], confusion),
        "",
        "Per source:",
        "",
        table(["source", "n", "macro-F1", "accuracy", "majority macro-F1", "majority accuracy", "labels"], sources),
        "",
        f"Hard negatives (benign, subtype in {', '.join(HARD_NEGATIVE_SUBTYPES)}; every flag is false):",
        "",
        table(["subset", "n", "false-flag rate", "flagged as", "majority false-flag rate"], hard),
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/processed"),
                        help="folder with {train,test,real_test}.parquet (built first when missing)")
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"),
                        help="shared datasets, used only to build a missing corpus")
    parser.add_argument("--model", action="append", default=[],
                        help="model name or directory (repeatable; default: every shipped model)")
    parser.add_argument("--splits", nargs="+", default=["test", "real_test"])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} sampled rows per split")
    parser.add_argument("--seed", type=int, default=13, help="seed of the --quick sample")
    args = parser.parse_args(argv)

    needed = ["train", *args.splits]
    if not all((args.corpus / f"{split}.parquet").is_file() for split in needed):
        command = f"python -m training.build_corpus --data-dir {args.data_dir} --out {args.corpus}"
        if not args.data_dir.is_dir():
            parser.error(f"no corpus in {args.corpus} and no shared datasets in {args.data_dir}; "
                         f"build it with: {command}")
        from training.build_corpus import CorpusConfig, build

        print(f"{args.corpus} lacks the corpus; building it ({command}, ~1 min) ...", file=sys.stderr, flush=True)
        build(CorpusConfig(data_dir=str(args.data_dir), out=str(args.corpus)))
        missing = [split for split in needed if not (args.corpus / f"{split}.parquet").is_file()]
        if missing:
            parser.error(f"the corpus build wrote no {', '.join(missing)} split")
    try:
        models, skipped = load_models(args.model)
    except (FileNotFoundError, ValueError) as error:  # an unknown --model, or a directory that fails its checks
        parser.error(str(error))
    frames = read_corpus(args.corpus, args.splits, args.quick, args.seed)
    majority = frames["train"]["label"].mode()[0]

    sections = [
        provenance("Corpus evaluation"),
        (f"Corpus: `{args.corpus}` ({', '.join(f'{s} {len(frames[s]):,}' for s in args.splits)} rows"
         f"{', sampled with --quick' if args.quick else ''}). Predicted label = the model's decision rule "
         f"(thresholds from its manifest). Baseline: always the majority class of train, `{majority}`."),
        "",
        *(f"- {message}" for message in [*fingerprint_warnings(args.corpus, models), *skipped]),
        "",
    ]
    for name, model in models:
        for split in args.splits:
            frame = frames[split]
            sections.append(split_report(name, split, frame, model.predict(frame["text"].tolist()), majority))
    print("\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
