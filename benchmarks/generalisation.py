"""Out-of-source generalisation: how the models do on posts unlike their training data.

    python benchmarks/generalisation.py                      # all sections, shipped models, ~15 min on 2 cores
    python benchmarks/generalisation.py --quick              # a small slice of everything (CI runs this), ~1 min
    python benchmarks/generalisation.py --models default ensemble --skip-loso

Sections (each beside a trivial baseline that always answers ``benign``):

1. **Sanity suite** (``data/functional/sanity.csv``): contentless posts (greetings, thanks, one-word replies,
   emoji, numbers). The share classified ``benign``.
2. **Functional suite** (``data/functional/functional_suite.csv``): ≥ 30 functionalities written from the guidelines
   only, never trained or tuned on. False flags on the benign functionalities, flag recall on the others.
3. **Held-out real pool** (the corpus's ``heldout_pool`` split: every labelled post of a pool no model trained on):
   false-flag rate, flag recall, ROC AUC and average precision of "non-benign vs benign".
4. **Leave-one-source-out** (linear recipe only): for each source family, the recipe is refitted without it
   (thresholds tuned on the validation split without it) and scored on the family's test rows, beside the model
   fitted with everything on the same rows.

Writes ``benchmarks/generalisation.json`` (or ``--out``) and prints Markdown for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, provenance, table
from pilkada_nlp.labels import BENIGN
from training.evaluate import flag_metrics, label_metrics, ranking_metrics, suite_metrics

FUNCTIONAL_DIR = REPO / "data" / "functional"

#: Source families for leave-one-source-out: sources that share an origin (and near-duplicates) leave together.
FAMILIES: dict[str, list[str]] = {
    "social_hate (ibrohim, netifier, alfina)": ["ibrohim_multilabel_hs", "netifier_toxicity",
                                                "alfina_idhsd_pilkada_dki2017"],
    "facebook_hate (nofaaulia)": ["nofaaulia_hsd_facebook"],
    "news_comments (desrul)": ["desrul_news_comments_abusive"],
    "hoax_archives (bdc, turnbackhoax, mafindo)": ["bdc2020_satriadata_hoax", "turnbackhoax2024_alharkan",
                                                   "mafindo_hoax_1k"],
    "hoax_headlines (pilpres2024)": ["pilpres2024_hoax_headlines"],
    "hoax_articles (pratiwi)": ["pratiwi2017_hoax_news"],
    "political_blogs (id_stance)": ["id_stance_political_blogs"],
    "real_pools (black_campaign, jatim)": ["black_campaign_pilpres2024", "pilkada_jatim2024_tweets"],
    "authored": ["authored"],
}
QUICK_FAMILIES = ["social_hate (ibrohim, netifier, alfina)", "authored"]


def read_suites() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.read_csv(FUNCTIONAL_DIR / "sanity.csv", dtype=str, keep_default_na=False),
            pd.read_csv(FUNCTIONAL_DIR / "functional_suite.csv", dtype=str, keep_default_na=False))


def predict(model, texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Labels as ``classify`` gives them (thresholds and the minimum-evidence rule) and 1 − P(benign)."""
    predictions = model.classify(list(texts))
    non_benign = np.array([1.0 - p.scores[BENIGN] for p in predictions])
    return [p.label for p in predictions], np.nan_to_num(non_benign, nan=0.0)  # no text, no score: ranked last


def pool_metrics(frame: pd.DataFrame, labels: list[str], non_benign: np.ndarray) -> dict:
    return {**flag_metrics(frame["label"], labels), **ranking_metrics(frame["label"], non_benign),
            "macro_f1": label_metrics(frame["label"], labels)["macro_f1"]}


def model_sections(name: str, sanity: pd.DataFrame, suite: pd.DataFrame, pool: pd.DataFrame | None) -> dict:
    """Sections 1-3 for one model (a shipped name or a model directory)."""
    import pilkada_nlp

    model = pilkada_nlp.load_model(name)
    sanity_labels, _ = predict(model, sanity["text"])
    suite_labels, _ = predict(model, suite["text"])
    result = {"sanity_benign_rate": round(float(np.mean(np.array(sanity_labels) == BENIGN)), 4),
              "sanity_n": len(sanity), "functional": suite_metrics(suite, suite_labels)}
    if pool is not None:
        pool_labels, non_benign = predict(model, pool["text"])
        result["heldout_pool"] = pool_metrics(pool, pool_labels, non_benign)
    return result


def baseline_sections(sanity: pd.DataFrame, suite: pd.DataFrame, pool: pd.DataFrame | None) -> dict:
    """The trivial baseline: every post ``benign``, every score 0."""
    result = {"sanity_benign_rate": 1.0, "sanity_n": len(sanity),
              "functional": suite_metrics(suite, [BENIGN] * len(suite))}
    if pool is not None:
        result["heldout_pool"] = pool_metrics(pool, [BENIGN] * len(pool), np.zeros(len(pool)))
    return result


def leave_one_source_out(corpus: Path, families: list[str], quick: bool) -> dict:
    """Section 4: refit the linear recipe without each family and score that family's test rows."""
    from training.train_linear import LinearConfig, decide, fit, read_split

    train, validation, test = (read_split(corpus, split) for split in ("train", "validation", "test"))
    config = LinearConfig(c_grid=(4.0,))  # the C the shipped recipe chose; LOSO measures data, not tuning
    if quick:
        train = pd.concat(part.sample(min(len(part), 600), random_state=0) for _, part in train.groupby("label"))
        config = replace(config, features=replace(config.features, max_word_features=20_000,
                                                  max_char_features=20_000))
    everything = fit(train, validation, config)
    out = {}
    for family in families:
        sources = FAMILIES[family]
        rows = test[test["source"].isin(sources)]
        if rows.empty:
            continue
        without = fit(train[~train["source"].isin(sources)], validation[~validation["source"].isin(sources)], config)
        scores = {}
        for name, fitted in (("in_distribution", everything), ("left_out", without)):
            labels = decide(fitted.probabilities(list(rows["text"])), fitted.thresholds, list(rows["text"]))
            scores[name] = {**label_metrics(rows["label"], labels), "flags": flag_metrics(rows["label"], labels)}
        scores["drop"] = round(scores["in_distribution"]["macro_f1"] - scores["left_out"]["macro_f1"], 4)
        scores["labels"] = rows["label"].value_counts().to_dict()
        out[family] = scores
        print(f"LOSO {family}: in {scores['in_distribution']['macro_f1']}, out {scores['left_out']['macro_f1']}",
              flush=True)
    return out


def markdown(report: dict) -> str:
    models = report["models"]
    rows = []
    for name, r in models.items():
        f, p = r["functional"], r.get("heldout_pool", {})
        rows.append([name, r["sanity_benign_rate"], f["benign_false_flag_rate"], f["non_benign_flag_recall"],
                     f["hate_flag_recall"], f["macro_f1"], p.get("false_flag_rate"), p.get("flag_recall"),
                     p.get("roc_auc"), p.get("average_precision")])
    any_model = next(iter(models.values()))
    pool = any_model.get("heldout_pool", {})
    parts = [
        (f"Sanity n = {any_model['sanity_n']}; functional suite n = {any_model['functional']['n']}; held-out pool: "
         f"{pool.get('benign_n')} benign, {pool.get('non_benign_n')} non-benign posts."),
        "",
        table(["model", "sanity benign", "functional false flags (benign)", "functional flag recall (non-benign)",
               "functional hate recall", "functional macro-F1", "pool false-flag rate", "pool flag recall",
               "pool ROC AUC", "pool AP"], rows),
    ]
    if report.get("loso"):
        parts += ["", table(["left-out family", "labels", "in-distribution macro-F1", "left-out macro-F1", "drop",
                             "left-out false-flag rate", "left-out flag recall"],
                            [[family, ", ".join(f"{k} {v}" for k, v in s["labels"].items()),
                              s["in_distribution"]["macro_f1"], s["left_out"]["macro_f1"], s["drop"],
                              s["left_out"]["flags"]["false_flag_rate"], s["left_out"]["flags"]["flag_recall"]]
                             for family, s in report["loso"].items()])]
    functionalities = {name: r["functional"]["functionalities"] for name, r in models.items()}
    names = sorted(next(iter(functionalities.values())))
    parts += ["", table(["functionality", "label", "n", *[f"{m} pass" for m in functionalities]],
                        [[f, functionalities[next(iter(functionalities))][f]["label"],
                          functionalities[next(iter(functionalities))][f]["n"],
                          *[functionalities[m][f]["flag_pass"] for m in functionalities]] for f in names])]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "data" / "processed",
                        help="built corpus (python -m training.build_corpus); needed for the pool and LOSO")
    parser.add_argument("--models", nargs="+", default=["default"], help="shipped model names or directories")
    parser.add_argument("--quick", action="store_true", help="a small slice of every section (for CI)")
    parser.add_argument("--skip-loso", action="store_true", help="leave out the leave-one-source-out refits")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "generalisation.json")
    args = parser.parse_args(argv)

    sanity, suite = read_suites()
    pool_path = args.corpus / "heldout_pool.parquet"
    pool = pd.read_parquet(pool_path) if pool_path.is_file() else None
    if args.quick:
        sanity = sanity.sample(min(len(sanity), 60), random_state=0)
        suite = suite.groupby("functionality").head(3)
        pool = None if pool is None else pool.sample(min(len(pool), 300), random_state=0)
    report: dict = {"models": {"always benign (baseline)": baseline_sections(sanity, suite, pool)}}
    for name in args.models:
        print(f"scoring {name}", flush=True)
        report["models"][str(name)] = model_sections(name, sanity, suite, pool)
    if not args.skip_loso and (args.corpus / "train.parquet").is_file():
        report["loso"] = leave_one_source_out(args.corpus, QUICK_FAMILIES if args.quick else list(FAMILIES),
                                              args.quick)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(provenance("Out-of-source generalisation"))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
