"""The ``pilkada-nlp`` command: argument parsing only; every command calls the public API."""

from __future__ import annotations

import argparse
import json
import os
import sys

from pilkada_nlp import __version__, classify, load_model
from pilkada_nlp.labels import LABEL_INFO, LABELS
from pilkada_nlp.models import Classifier


def _model(args: argparse.Namespace) -> Classifier:
    """``--model`` loaded, or a one-line usage error (unknown name, failed checksum, torch not installed)."""
    try:
        return load_model(args.model)
    except (FileNotFoundError, ValueError, ImportError) as error:
        args.parser.error(f"--model {args.model or 'default'}: {error}")


def _classify(args: argparse.Namespace) -> int:
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        args.parser.error("give texts as arguments or one per line on stdin")
    predictions = classify(texts, model=_model(args), explain=args.explain)
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
    model = _model(args)
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


#: Errors of the batch commands that are the user's to fix: shown as one line by ``parser.error``.
_USER_ERRORS = (FileNotFoundError, KeyError, ValueError, ImportError)


def _score(args: argparse.Namespace) -> int:
    from pilkada_nlp.batch import DEFAULT_CHUNKSIZE, score_file

    if args.report and not args.report.lower().endswith((".html", ".htm", ".json")):
        args.parser.error(f"--report {args.report}: use a .html or .json file name")
    if args.factcheck and args.jobs > 1:
        print("note: --jobs is ignored with --factcheck (the index is queried in this process)", file=sys.stderr)
    try:
        summary = score_file(
            args.input, args.output, text_column=args.text_column, model=load_model(args.model),
            chunksize=args.chunksize or DEFAULT_CHUNKSIZE, resume=args.resume, encoding=args.encoding,
            progress=not args.quiet, top_n=args.top, jobs=args.jobs, factcheck=_open_index(args, args.factcheck),
        )
        if args.report:
            summary.write(args.report)
    except _USER_ERRORS as error:
        args.parser.error(str(error))
    except KeyboardInterrupt:
        print("interrupted: run the same command with --resume to continue from the last complete chunk",
              file=sys.stderr)
        return 130
    print(f"scored {summary.rows:,} rows of {args.input} -> {args.output}")
    print(summary.to_text())
    if args.report:
        print(f"report: {args.report}")
    return 0


#: Where `factcheck match` and `score --factcheck` look for an index when none is given.
INDEX_ENV = "PILKADA_NLP_FACTCHECK_INDEX"


def _open_index(args: argparse.Namespace, path: str | None):
    """The fact-check index at ``path`` (read-only), or a one-line usage error."""
    if path is None:
        return None
    from pilkada_nlp.factcheck import load_index

    try:
        return load_index(path)
    except (FileNotFoundError, ValueError, ImportError) as error:
        args.parser.error(f"--factcheck {path}: {error}" if hasattr(args, "factcheck") else str(error))


def _factcheck_build(args: argparse.Namespace) -> int:
    from pilkada_nlp.factcheck import FactCheckIndex

    columns = {}
    for item in args.column:
        field, sep, name = item.partition("=")
        if not sep or not field or not name:
            args.parser.error(f"--column {item}: use FIELD=NAME, e.g. --column claim=title")
        columns[field.strip()] = name.strip()
    try:
        index = FactCheckIndex.build(args.archive, args.output, columns=columns, strict=args.strict,
                                     encoder=args.encoder, progress=not args.quiet, overwrite=args.force)
    except (FileNotFoundError, FileExistsError, ValueError, ImportError) as error:
        args.parser.error(str(error))
    print(f"built {args.output}: {len(index):,} fact-checks ({index.encoder.name})")
    print(index.build_summary.to_text())
    return 0


def _factcheck_match(args: argparse.Namespace) -> int:
    path = args.index or os.environ.get(INDEX_ENV)
    if not path:
        args.parser.error(f"give --index INDEX (a directory from `pilkada-nlp factcheck build`) or set {INDEX_ENV}")
    index = _open_index(args, path)
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        args.parser.error("give texts as arguments or one per line on stdin")
    results = index.match(texts, k=args.k)
    for text, matches in zip(texts, results):
        if args.json:
            print(json.dumps({"text": text, "matches": [m.to_dict() for m in matches]}, ensure_ascii=False))
            continue
        print(text if len(text) <= 70 else text[:67] + "...")
        if not matches:
            print("    (no match)")
        for m in matches:
            claim = m.claim if len(m.claim) <= 70 else m.claim[:67] + "..."
            print(f"  {m.similarity:.2f}  {m.stance or '-':<9}  [{m.verdict}] {claim}")
            print(f"        {m.source or '-'} {m.date or ''} {m.url}".rstrip())
    return 0


def _review_export(args: argparse.Namespace) -> int:
    from pilkada_nlp.review import export_review

    try:
        table = export_review(
            args.input, args.output, text_column=args.text_column, model=load_model(args.model),
            n_uncertain=args.uncertain, n_audit=args.audit, margin=args.margin, seed=args.seed, source=args.source,
            id_column=args.id_column,
        )
    except _USER_ERRORS as error:
        args.parser.error(str(error))
    counts = table["selection"].value_counts()
    print(f"{len(table)} posts to review -> {args.output} ({counts.get('uncertain', 0)} uncertain, "
          f"{counts.get('audit', 0)} audit); fill in gold_label and annotator, then run `pilkada-nlp review-import`")
    return 0


def _review_import(args: argparse.Namespace) -> int:
    try:
        from training.reviews import import_review
    except ImportError:
        args.parser.error("training code not found: run from a checkout of the pilkada-nlp repository")
    from pathlib import Path

    try:
        counts = import_review(args.input, annotator=args.annotator, data_dir=Path(args.data_dir),
                               dry_run=args.dry_run)
    except _USER_ERRORS as error:
        args.parser.error(str(error))
    done = "checked (dry run)" if args.dry_run else "imported"
    print(f"{done}: {counts['reviewed']} reviewed rows; {counts['pool_labels']} stand-off labels -> "
          f"data/annotations/reviewed.csv, {counts['own_posts']} posts -> data/reviewed/posts.csv; "
          f"{counts['pending']} rows without gold_label skipped")
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        from training import build_corpus, train_linear
    except ImportError:
        args.parser.error("training code not found: run from a checkout of the pilkada-nlp repository")
    if args.backend == "transformer":
        from importlib.util import find_spec

        from training import train_transformer

        missing = [name for name in ("torch", "transformers", "datasets") if find_spec(name) is None]
        if missing:
            args.parser.error(f"--backend transformer needs the [transformer] extra ({', '.join(missing)} missing)")
    status = build_corpus.main(["--data-dir", args.data_dir, "--out", args.corpus])
    if status:
        return status
    if args.backend == "transformer":
        out = args.out or "build/models/transformer"
        return train_transformer.main(["--corpus", args.corpus, "--out", out, "--name", args.name or "transformer",
                                       "--base-model", args.base_model])
    out = args.out or "pilkada_nlp/models/default"
    return train_linear.main(["--corpus", args.corpus, "--out", out, "--name", args.name or "default"])


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

    p = command("score", _score, "score a CSV/TSV, XLSX, Parquet or JSONL file (format from the extension): every row "
                "comes back, in order, with label, score, score_<label>, flags and error")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True, help="output file; written only when complete")
    p.add_argument("--text-column", default="text")
    p.add_argument("--model", default=None)
    p.add_argument("--chunksize", type=int, default=None, help="rows per chunk (default 10000)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last complete chunk")
    p.add_argument("--encoding", default=None, help="encoding of a text input (default: detected)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--report", default=None, help="also save the summary as .html (with charts) or .json")
    p.add_argument("--top", type=int, default=10, help="most confident flagged posts to list in the summary")
    p.add_argument("--jobs", type=int, default=1, help="worker processes scoring in parallel (~200 MB each)")
    p.add_argument("--factcheck", default=None, metavar="INDEX",
                   help="a fact-check index: adds match_claim, match_url, match_verdict, match_similarity, match_stance")

    p = command("factcheck", None, "build a fact-check index from an archive of debunks, or match posts against one")
    fc = p.add_subparsers(dest="factcheck_command", required=True)
    q = fc.add_parser("build", help="index an archive (CSV/TSV/JSONL/Parquet with claim, verdict, url, date, source)",
                      description="index an archive (CSV/TSV/JSONL/Parquet with claim, verdict, url, date, source "
                                  "and optionally explanation)")
    q.set_defaults(handler=_factcheck_build, parser=q)
    q.add_argument("archive")
    q.add_argument("-o", "--output", required=True, metavar="INDEX", help="index directory to create")
    q.add_argument("--column", action="append", default=[], metavar="FIELD=NAME",
                   help="the archive's name for a field, e.g. --column claim=title (repeatable)")
    q.add_argument("--strict", action="store_true", help="refuse the archive if any row is bad (default: skip and count)")
    q.add_argument("--force", action="store_true", help="replace an existing index")
    q.add_argument("--encoder", default=None, help="dense encoder (default: multilingual-e5-small)")
    q.add_argument("--quiet", action="store_true", help="no progress bar")
    q = fc.add_parser("match", help="the fact-checks that posts repeat", description="the fact-checks that posts "
                      "repeat, with similarity and stance (texts as arguments or one per line on stdin)")
    q.set_defaults(handler=_factcheck_match, parser=q)
    q.add_argument("texts", nargs="*")
    q.add_argument("--index", default=None, help=f"index directory (default: ${INDEX_ENV})")
    q.add_argument("-k", type=int, default=3, help="matches per post")
    q.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("review-export", _review_export, "write the scored posts to check by hand (uncertain ones near the "
                "thresholds and a random audit sample), with an empty gold_label column")
    p.add_argument("input", help="a file written by `pilkada-nlp score`")
    p.add_argument("-o", "--output", required=True, help="review file (.csv, or .xlsx)")
    p.add_argument("--text-column", default="text")
    p.add_argument("--model", default=None, help="the model that scored the file (its thresholds)")
    p.add_argument("--uncertain", type=int, default=100, help="at most this many uncertain posts")
    p.add_argument("--audit", type=int, default=50, help="random audit sample size")
    p.add_argument("--margin", type=float, default=0.1, help="'uncertain' = a score within this of its threshold")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--source", default=None,
                   help="where the posts come from, when the file has no source column (default: user)")
    p.add_argument("--id-column", default=None, help="an input column to carry into the review file")

    p = command("review-import", _review_import, "check a filled-in review file and add its labels to the project's "
                "data for the next `train` (needs the repository checkout)")
    p.add_argument("input")
    p.add_argument("--annotator", default=None, help="reviewer name, for rows with an empty annotator column")
    p.add_argument("--data-dir", default="../shared/datasets", help="check pool rows against it (skipped if absent)")
    p.add_argument("--dry-run", action="store_true", help="validate only")

    p = command("train", _train, "rebuild the corpus and retrain a model (needs the repository checkout)")
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--corpus", default="data/processed")
    p.add_argument("--backend", choices=("linear", "transformer"), default="linear",
                   help="linear: the shipped default; transformer: fine-tune --base-model (needs the [transformer] extra)")
    p.add_argument("--base-model", default="indolem/indobertweet-base-uncased",
                   help="transformer only: Hugging Face hub id or local model directory")
    p.add_argument("--out", default=None,
                   help="model directory (default: pilkada_nlp/models/default, or build/models/transformer)")
    p.add_argument("--name", default=None, help="model name (default: default, or transformer)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # the reader went away (``pilkada-nlp classify ... | head``): stop quietly, as Unix tools do. Point stdout at
        # devnull so the interpreter's final flush does not raise again (recipe from the ``signal`` module docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a killed pipeline member


if __name__ == "__main__":
    raise SystemExit(main())
