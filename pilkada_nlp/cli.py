"""The ``pilkada-nlp`` command: argument parsing only; every command calls the public API."""

from __future__ import annotations

import argparse
import json
import sys

from pilkada_nlp import __version__, classify, load_model
from pilkada_nlp.labels import LABEL_INFO, LABELS


def _classify(args: argparse.Namespace) -> int:
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        args.parser.error("give texts as arguments or one per line on stdin")
    predictions = classify(texts, model=load_model(args.model), explain=args.explain)
    if args.json:
        for text, prediction in zip(texts, predictions):
            print(json.dumps({"text": text, **prediction.to_dict()}, ensure_ascii=False))
        return 0
    header = f"{'label':<17}{'score':>6}  " + "".join(f"{label[:8]:>9}" for label in LABELS) + "  text"
    print(header)
    for text, prediction in zip(texts, predictions):
        scores = "".join(f"{prediction.scores[label]:>9.3f}" for label in LABELS)
        shown = text if len(text) <= 60 else text[:57] + "..."
        print(f"{prediction.label:<17}{prediction.score:>6.3f}  {scores}  {shown}")
        if prediction.explanation:
            print("    because of: " + ", ".join(f"{ngram} ({weight:+.2f})" for ngram, weight in prediction.explanation))
        if prediction.warning:
            print(f"    warning: {prediction.warning}")
    return 0


def _info(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    meta = model.metadata
    if args.json:
        print(json.dumps({k: v for k, v in meta.items() if k != "files"}, indent=2, ensure_ascii=False))
        return 0
    print(f"model:       {meta['name']} (backend {meta['backend']}, pilkada-nlp {meta['version']})")
    print(f"path:        {model.path}")
    print(f"created:     {meta.get('created')}")
    print("labels:")
    for label in model.labels:
        threshold = model.thresholds.get(label)
        print(f"  {label:<17} {LABEL_INFO[label].indonesian:<17} threshold {threshold if threshold else '-'}")
    for split in ("test", "real_test"):
        metrics = meta.get("metrics", {}).get(split)
        if metrics:
            flags = metrics["flags"]
            print(f"{split:<12} macro-F1 {metrics['macro_f1']}  false-flag rate {flags['false_flag_rate']}"
                  f"  flag recall {flags['flag_recall']}  (n={metrics['n']})")
    print("training data (source: licence):")
    for source, licence in meta.get("training_data", {}).get("sources", {}).items():
        print(f"  {source}: {licence}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from pilkada_nlp.batch import score_file

    try:
        n = score_file(args.input, args.output, text_column=args.text_column, model=load_model(args.model))
    except (FileNotFoundError, KeyError, ValueError) as error:
        args.parser.error(str(error).strip('"'))
    print(f"scored {n} rows -> {args.output}", file=sys.stderr)
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        from training import build_corpus, train_linear
    except ImportError:
        args.parser.error("training code not found: run from a checkout of the pilkada-nlp repository")
    status = build_corpus.main(["--data-dir", args.data_dir, "--out", args.corpus])
    if status:
        return status
    return train_linear.main(["--corpus", args.corpus, "--out", args.out, "--name", args.name])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pilkada-nlp", description="Flag Indonesian election posts for review.")
    parser.add_argument("--version", action="version", version=f"pilkada-nlp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(handler=handler, parser=sub)
        return sub

    p = command("classify", _classify, "classify texts given as arguments, or one per line on stdin")
    p.add_argument("texts", nargs="*")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--explain", action="store_true", help="show the n-grams behind each label")
    p.add_argument("--model", default=None, help="shipped model name or model directory (default: default)")

    p = command("info", _info, "show the model's labels, thresholds, metrics, data sources and licences")
    p.add_argument("--model", default=None)
    p.add_argument("--json", action="store_true")

    p = command("score", _score, "score a CSV file: every row comes back, with label, scores, flags and error")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--text-column", default="text")
    p.add_argument("--model", default=None)

    p = command("train", _train, "rebuild the corpus and retrain the linear model (needs the repository checkout)")
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--corpus", default="data/processed")
    p.add_argument("--out", default="pilkada_nlp/models/default")
    p.add_argument("--name", default="default")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
