"""The ``pilkada-nlp`` command: argument parsing only; every command calls the public API."""

from __future__ import annotations

import argparse
import json
import os
import sys
from types import ModuleType
from typing import NoReturn

from pilkada_nlp import __version__, classify, load_model
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import Classifier
from pilkada_nlp.summary import terminal_safe


def _model(args: argparse.Namespace) -> Classifier:
    """``--model`` loaded, or a one-line usage error (unknown name, failed checksum, torch not installed)."""
    try:
        return load_model(args.model)
    except (OSError, ValueError, ImportError) as error:
        args.parser.error(f"--model {args.model or 'default'}: {error}")


def _classify(args: argparse.Namespace) -> int:
    texts = args.texts or [line.rstrip("\r\n") for line in sys.stdin]  # blank lines too: one result per line
    if not texts:
        args.parser.error("give texts as arguments or one per line on stdin")
    predictions = classify(texts, model=_model(args), explain=args.explain)
    if args.json:
        for text, prediction in zip(texts, predictions):
            print(json.dumps({"text": text, **prediction.to_dict()}, ensure_ascii=False))
        return 0
    header = f"{'label':<17}{'score':>6}  " + "".join(f"{label:>{len(label) + 2}}" for label in LABELS) + "  text"
    print(header)
    for text, prediction in zip(texts, predictions):
        scores = "".join(f"{prediction.scores[label]:>{len(label) + 2}.3f}" for label in LABELS)
        shown = terminal_safe(text if len(text) <= 60 else text[:57] + "...")
        print(f"{prediction.label:<17}{prediction.score:>6.3f}  {scores}  {shown}")
        if prediction.explanation:
            print("    because of: " + ", ".join(f"{terminal_safe(words)} ({weight:+.2f})"
                                              for words, weight in prediction.explanation))
        if prediction.warning:
            print(f"    warning: {prediction.warning}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from pilkada_nlp.models.info import read_info, to_text

    try:
        directory, manifest = read_info(args.model)
    except (FileNotFoundError, ValueError) as error:
        args.parser.error(f"--model {args.model or 'default'}: {error}")
    if args.json:
        print(json.dumps({k: v for k, v in manifest.items() if k != "files"}, indent=2, ensure_ascii=False))
    else:
        print(to_text(directory, manifest))
    return 0


#: Errors of the batch commands that are the user's to fix: shown as one line by ``parser.error``. OSError covers
#: what the file system refuses (a read-only folder, a full disk, a folder where a file should be).
_USER_ERRORS = (OSError, KeyError, ValueError, ImportError)


def _score(args: argparse.Namespace) -> int:
    from pilkada_nlp import io
    from pilkada_nlp.batch import DEFAULT_CHUNKSIZE, score_file
    from pilkada_nlp.summary import Summary

    if args.factcheck and args.jobs > 1:
        print("note: --jobs is ignored with --factcheck (the index is queried in this process)", file=sys.stderr)
    try:
        if args.report:
            Summary.check_report(args.report)  # before scoring: a missing matplotlib must not cost the whole run
            io.check_output(args.report, args.input, args.output)
        summary = score_file(
            args.input, args.output, text_column=args.text_column, model=load_model(args.model),
            chunksize=args.chunksize or DEFAULT_CHUNKSIZE, resume=args.resume, encoding=args.encoding,
            progress=not args.quiet, top_n=args.top, jobs=args.jobs, sheet=args.sheet,
            escape_formulas=args.escape_formulas, factcheck=_open_index(args, args.factcheck),
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
            id_column=args.id_column, sheet=args.sheet, escape_formulas=args.escape_formulas,
        )
    except _USER_ERRORS as error:
        args.parser.error(str(error))
    counts = table["selection"].value_counts()
    print(f"{len(table)} posts to review -> {args.output} ({counts.get('uncertain', 0)} uncertain, "
          f"{counts.get('audit', 0)} audit); fill in gold_label and annotator, then run `pilkada-nlp review-import`")
    return 0


def _training(args: argparse.Namespace, module: str) -> ModuleType:
    """``training.<module>`` from the repository checkout, or a one-line error naming what to do."""
    from pilkada_nlp.checkout import CheckoutError, import_training

    try:
        return import_training(module, args.command)
    except CheckoutError as error:
        args.parser.error(str(error))


def _review_import(args: argparse.Namespace) -> int:
    import_review = _training(args, "reviews").import_review
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
    build_corpus, train_linear = _training(args, "build_corpus"), _training(args, "train_linear")
    if args.backend == "transformer":
        from importlib.util import find_spec

        train_transformer = _training(args, "train_transformer")
        missing = [name for name in ("torch", "transformers", "datasets") if find_spec(name) is None]
        if missing:
            args.parser.error(f"--backend transformer needs the [transformer] extra ({', '.join(missing)} missing)")
    from training.outdir import check_out

    out = args.out or ("build/models/transformer" if args.backend == "transformer" else "pilkada_nlp/models/default")
    try:
        check_out(out)  # before the corpus build and the training, which take minutes
    except ValueError as error:
        args.parser.error(f"--out {error}")
    status = build_corpus.main(["--data-dir", args.data_dir, "--out", args.corpus])
    if status:
        return status
    if args.backend == "transformer":
        return train_transformer.main(["--corpus", args.corpus, "--out", out, "--name", args.name or "transformer",
                                       "--base-model", args.base_model])
    return train_linear.main(["--corpus", args.corpus, "--out", out, "--name", args.name or "default"])


def _serve(args: argparse.Namespace) -> int:
    if not args.keys:
        args.parser.error("--keys FILE is required (make one with `pilkada-nlp serve add-key NAME --role reviewer "
                          "--keys FILE`)")
    try:
        from pilkada_nlp.service.app import serve
    except ImportError as error:
        args.parser.error(f"the service needs the [service] extra: pip install \"pilkada-nlp[service]\" ({error})")
    from pathlib import Path

    from pilkada_nlp.service.config import ServiceConfig

    config = ServiceConfig(
        keys=Path(args.keys), database=Path(args.db), model=args.model, max_body_bytes=args.max_body_bytes,
        max_classify_texts=args.max_classify, max_score_texts=args.max_score, rate_per_second=args.rate,
        rate_burst=args.burst, workers=args.workers, log_texts=args.log_texts,
        factcheck=Path(args.factcheck) if args.factcheck else None,
        queue_files=tuple(Path(q) for q in args.queue), queue_uncertain=args.uncertain, queue_audit=args.audit,
        queue_margin=args.margin,
    )
    try:
        serve(config, host=args.host, port=args.port)
    except _USER_ERRORS as error:
        args.parser.error(str(error))
    return 0


def _add_key(args: argparse.Namespace) -> int:
    from pilkada_nlp.service.keys import KeyFileError, add_key

    try:
        print(add_key(args.keys, args.name, args.role))
    except (KeyFileError, OSError) as error:
        args.parser.error(str(error))
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and a pointer to ``--help``, not after the whole usage block (long for ``score``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\nTry '{self.prog} --help' for the options.\n")


#: Help shared by every command that takes these options.
MODEL_HELP = ("a shipped model name (default, or in a repository checkout: ensemble, transformer) or a model directory "
              "(default: default)")
TEXT_COLUMN_HELP = "the column holding the post text (default: text)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pilkada-nlp", description="Flag Indonesian election posts for review.")
    parser.add_argument("--version", action="version", version=f"pilkada-nlp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(handler=handler, parser=sub)
        return sub

    def table_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--sheet", default=None, help="sheet of an .xlsx input to read (default: the first)")
        sub.add_argument("--no-escape-formulas", dest="escape_formulas", action="store_false",
                         help="write CSV/TSV text cells raw: no ' before text a spreadsheet would run as a formula "
                              "(=, +, -, @); only for outputs no spreadsheet opens")

    p = command("classify", _classify, "classify texts given as arguments, or one per line on stdin")
    p.add_argument("texts", nargs="*", help="posts to classify (default: read stdin, one post per line, blank lines "
                   "included, one result per line)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--explain", action="store_true", help="show the words of each post behind its label")
    p.add_argument("--model", default=None, help=MODEL_HELP)

    p = command("info", _info, "show the model's labels, thresholds, metrics, data sources and licences (reads the "
                "model's manifest only: instant for every model)")
    p.add_argument("--model", default=None, help=MODEL_HELP)
    p.add_argument("--json", action="store_true", help="the whole manifest as JSON, without the file hashes")

    p = command("score", _score, "score a CSV/TSV, XLSX, Parquet or JSONL file (format from the extension): every row "
                "comes back, in order, with label, score, score_<label>, flags and error")
    p.add_argument("input", help="the file to score: .csv, .tsv, .xlsx, .parquet or .jsonl")
    p.add_argument("-o", "--output", required=True, help="output file, format from its extension; written only when "
                   "complete")
    p.add_argument("--text-column", default="text", help=TEXT_COLUMN_HELP)
    p.add_argument("--model", default=None, help=MODEL_HELP)
    p.add_argument("--chunksize", type=int, default=None, help="rows per chunk (default: 10000)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last complete chunk")
    p.add_argument("--encoding", default=None, help="encoding of a text input (default: detected)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--report", default=None, help="also save the summary as .html (with charts; needs matplotlib) "
                   "or .json")
    p.add_argument("--top", type=int, default=10, help="most confident flagged posts to list in the summary "
                   "(default: 10)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes scoring in parallel, ~200 MB each "
                   "(default: 1)")
    table_options(p)
    p.add_argument("--factcheck", default=None, metavar="INDEX",
                   help="a fact-check index: adds match_claim, match_url, match_verdict, match_similarity, match_stance")

    p = command("factcheck", None, "build a fact-check index from an archive of debunks, or match posts against one")
    fc = p.add_subparsers(dest="factcheck_command", required=True, help="build: index an archive; match: look posts up")
    q = fc.add_parser("build", help="index an archive (CSV/TSV/JSONL/Parquet with claim, verdict, url, date, source)",
                      description="index an archive (CSV/TSV/JSONL/Parquet with claim, verdict, url, date, source "
                                  "and optionally explanation)")
    q.set_defaults(handler=_factcheck_build, parser=q)
    q.add_argument("archive", help="the archive of fact-checks to index")
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
    q.add_argument("texts", nargs="*", help="posts to match (default: read stdin, one post per line)")
    q.add_argument("--index", default=None, help=f"index directory (default: ${INDEX_ENV})")
    q.add_argument("-k", type=int, default=3, help="matches per post")
    q.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("review-export", _review_export, "write the scored posts to check by hand (uncertain ones near the "
                "thresholds and a random audit sample), with an empty gold_label column")
    p.add_argument("input", help="a file written by `pilkada-nlp score`")
    p.add_argument("-o", "--output", required=True, help="review file (.csv, or .xlsx)")
    p.add_argument("--text-column", default="text", help=TEXT_COLUMN_HELP)
    p.add_argument("--model", default=None, help="the model that scored the file, for its thresholds (default: "
                   "default)")
    p.add_argument("--uncertain", type=int, default=100, help="at most this many uncertain posts (default: 100)")
    p.add_argument("--audit", type=int, default=50, help="random audit sample size (default: 50)")
    p.add_argument("--margin", type=float, default=0.1, help="'uncertain' = a score within this of its threshold "
                   "(default: 0.1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the audit sample (default: 0)")
    p.add_argument("--source", default=None,
                   help="where the posts come from, when the file has no source column (default: user)")
    p.add_argument("--id-column", default=None, help="an input column to carry into the review file")
    table_options(p)

    p = command("review-import", _review_import, "check a filled-in review file and add its labels to the project's "
                "data for the next `train` (needs the repository checkout)")
    p.add_argument("input", help="the review file written by `pilkada-nlp review-export`, gold_label filled in")
    p.add_argument("--annotator", default=None, help="reviewer name, for rows with an empty annotator column")
    p.add_argument("--data-dir", default="../shared/datasets", help="check pool rows against the shared "
                   "datasets there, skipped if absent (default: ../shared/datasets)")
    p.add_argument("--dry-run", action="store_true", help="validate only")

    p = command("train", _train, "rebuild the corpus and retrain a model (needs the repository checkout)")
    p.add_argument("--data-dir", default="../shared/datasets", help="the shared datasets (default: "
                   "../shared/datasets)")
    p.add_argument("--corpus", default="data/processed", help="where the corpus is built (default: data/processed)")
    p.add_argument("--backend", choices=("linear", "transformer"), default="linear",
                   help="linear: the shipped default; transformer: fine-tune --base-model (needs the [transformer] extra)")
    p.add_argument("--base-model", default="indolem/indobertweet-base-uncased",
                   help="transformer only: Hugging Face hub id or local model directory")
    p.add_argument("--out", default=None,
                   help="model directory (default: pilkada_nlp/models/default, or build/models/transformer)")
    p.add_argument("--name", default=None, help="model name (default: default, or transformer)")

    p = command("serve", _serve, "run the patrol service: HTTP API and review page (needs the [service] extra)")
    p.add_argument("--keys", default=None, help="keys file from `serve add-key` (required to serve)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    p.add_argument("--model", default=None, help="shipped model name or model directory (default: default)")
    p.add_argument("--db", default="pilkada-review.sqlite3", help="SQLite file of the review queue and decisions")
    p.add_argument("--queue", action="append", default=[], metavar="SCORED_FILE",
                   help="add this scored file's review-export selection to the queue at start (repeatable)")
    p.add_argument("--uncertain", type=int, default=100, help="--queue: at most this many uncertain posts per file")
    p.add_argument("--audit", type=int, default=50, help="--queue: random audit sample size per file")
    p.add_argument("--margin", type=float, default=0.1, help="'uncertain' = a score within this of its threshold")
    p.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024, help="largest request body (default 4 MiB)")
    p.add_argument("--max-classify", type=int, default=100, help="most texts per /v1/classify request")
    p.add_argument("--max-score", type=int, default=10_000, help="most texts per /v1/score request")
    p.add_argument("--rate", type=float, default=50.0, help="requests per second per key, on average")
    p.add_argument("--burst", type=int, default=100, help="requests a key may make at once after a pause")
    p.add_argument("--workers", type=int, default=2, help="classification threads")
    p.add_argument("--log-texts", action="store_true", help="also log post texts (off: posts hold personal data)")
    p.add_argument("--factcheck", default=None, metavar="INDEX",
                   help="a fact-check index (pilkada-nlp factcheck build): enables POST /v1/factcheck/match")
    actions = p.add_subparsers(dest="serve_command", metavar="add-key", help="add-key: make an API key")
    k = actions.add_parser("add-key", help="make an API key; prints the key (its only line of output)",
                           description="make an API key and store its hash in the keys file; prints the key")
    k.set_defaults(handler=_add_key, parser=k)
    k.add_argument("name", help="who uses the key, e.g. dashboard-jatim or reviewer-ani")
    k.add_argument("--role", choices=("reader", "reviewer"), required=True,
                   help="reader: classify, score, model, metrics; reviewer: also the review queue and page")
    k.add_argument("--keys", required=True, help="keys file (created if absent)")
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
