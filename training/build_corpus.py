"""Build the training corpus: every useful shared dataset plus this project's data, de-duplicated and split by group.

    python -m training.build_corpus --data-dir ../shared/datasets --out data/processed

Writes ``train/validation/test/real_test.parquet`` and ``corpus_stats.json`` to ``--out`` (git-ignored: the texts are
licensed); when ``--out`` is the default ``data/processed``, also a copy of the stats, which hold only counts, to the
committed ``data/corpus_stats.json``.

Splits:
* ``heldout_pool``: every labelled post of the held-out pool (:data:`training.sources.HELDOUT_POOL`, a platform and
  region no other split has), plus anything in a duplicate group with them. Never trained on; it is the real-post
  half of the out-of-source benchmark (``benchmarks/generalisation.py``).
* ``real_test``: the random (never keyword-picked) slice of hand-labelled real election posts of the other pools, plus
  anything in a duplicate group with them. Never trained or tuned on: it measures false flags on real posts.
* ``train`` / ``validation`` / ``test``: everything else, 80/10/10 by duplicate group, stratified by label.

Each row has a ``weight``: 1, except authored posts, which weigh less the easier their surface tells them from real
posts (:func:`training.audit.authored_weights`), so that style cannot stand in for a label, and silver pool rows
(unlabelled posts of the training pools taken as ``benign``), which weigh ``silver_weight``.

Deterministic for a given ``--seed`` and inputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pilkada_nlp.text import normalize
from training import audit
from training.augment import match_surface, surface_rates
from training.dedup import dedup_key, duplicate_groups
from training.project_data import REPO, join_annotations, load_authored, load_reviewed, read_annotations
from training.select_relabel import PUBLIC_SAMPLE
from training.sources import HELDOUT_POOL, LOADERS, POOL_SOURCES, load_all

SPLITS = ("train", "validation", "test", "real_test", "heldout_pool")
#: Public sources whose hate/benign rows were sampled for relabelling with the guidelines.
RELABELLED_SOURCES = tuple(PUBLIC_SAMPLE)


@dataclass(frozen=True)
class CorpusConfig:
    """Corpus settings; saved in corpus_stats.json so a corpus can be rebuilt exactly."""

    data_dir: str = "../shared/datasets"
    out: str = "data/processed"
    seed: int = 13
    #: At most this many rows per (public source, label): no single source's style may stand in for a label.
    cap_per_source_label: int = 2500
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    #: Ibrohim HS mapping: "identity" (only religion/race/physical/gender targets are hate) or "all".
    hs_mapping: str = "identity"
    #: Hate rows of the relabelled public sources: "mapped" keeps every mapped row (relabelled ones take the
    #: guideline label), "relabelled" keeps only the relabelled ones. Relabelling found 4-41 % of mapped hate rows
    #: to be hate under the guidelines (``python -m training.agreement --mapped ...``; data/README.md §3).
    public_hate: str = "relabelled"
    #: Unlabelled posts of the training pools (not the held-out one) as silver ``benign`` rows: ~98 % of a random
    #: slice of them is benign under the guidelines, and without them the only benign posts in that register are the
    #: few thousand labelled ones, so political chatter reads as "hoax" to the model. Capped like a public source.
    pool_silver: bool = True
    #: Training weight of a silver row (its label is right ~98 % of the time, not always).
    silver_weight: float = 0.5
    #: Authored posts weigh less the easier their surface tells them from real posts (audit.authored_weights).
    authored_surface_weights: bool = True


def collect(config: CorpusConfig) -> pd.DataFrame:
    """All labelled rows from public sources, stand-off annotations and authored posts, highest priority first."""
    data_dir = Path(config.data_dir)
    public_names = [name for name in LOADERS if name not in POOL_SOURCES]
    public = pd.concat(
        [LOADERS[name](data_dir, **({"hs_mapping": config.hs_mapping} if name == "ibrohim_multilabel_hs" else {}))
         for name in public_names],
        ignore_index=True,
    ).assign(origin="public")
    # Stand-off labels cover pool posts and the public posts relabelled with the guidelines; both win over mappings.
    annotations = read_annotations()
    pools = load_all(data_dir, sorted(POOL_SOURCES))  # sorted: a frozenset's order changes with the hash seed
    annotated = join_annotations(annotations, pd.concat([pools, public]))
    if config.public_hate == "relabelled":  # after the join: relabelled rows come back through `annotated`
        public = public[~(public["source"].isin(RELABELLED_SOURCES) & (public["label"] == "hate_speech"))]
    authored = load_authored()
    # Priority decides which copy of an exact duplicate survives: our own labels beat public ones.
    reviewed = load_reviewed()  # the user's own posts from `pilkada-nlp review-import`
    frames = [annotated.assign(priority=0), reviewed.assign(priority=0), authored.assign(priority=1),
              public.assign(priority=2)]
    if config.pool_silver:
        frames.append(silver_pool_rows(pools, annotations).assign(priority=3))
    rows = pd.concat(frames, ignore_index=True)
    return rows[["text", "label", "source", "row_key", "subtype", "origin", "priority"]]


def silver_pool_rows(pools: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """Unlabelled posts of the training pools as ``benign`` (origin ``silver:pool``); never the held-out pool."""
    labelled = set(zip(annotations["source"], annotations["row_key"]))
    keys = list(zip(pools["source"], pools["row_key"]))
    keep = (pools["source"] != HELDOUT_POOL) & ~pd.Series([key in labelled for key in keys], index=pools.index)
    return pools[keep].assign(label="benign", subtype="silver", origin="silver:pool")


def cap_sources(rows: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """Keep at most ``cap`` rows per (public source, label), silver pool rows included; project rows are never
    capped."""
    public = rows["origin"].isin(["public", "silver:pool"])
    capped = (
        rows[public].sample(frac=1.0, random_state=seed).groupby(["source", "label"], sort=False).head(cap)
    )
    return pd.concat([rows[~public], capped]).sort_index()


def assign_splits(rows: pd.DataFrame, config: CorpusConfig) -> pd.Series:
    """Split name per row, decided per duplicate group (see module docstring)."""
    rng = np.random.default_rng(config.seed)
    heldout_groups = set(rows.loc[rows["source"] == HELDOUT_POOL, "group"])
    is_real_test = rows["origin"] == "annotated:random"
    real_test_groups = set(rows.loc[is_real_test, "group"]) - heldout_groups
    group_label = rows.drop_duplicates("group").set_index("group")["label"]
    split_of: dict[int, str] = {g: "real_test" for g in real_test_groups}
    split_of.update({g: "heldout_pool" for g in heldout_groups})
    for _, groups in group_label[~group_label.index.isin(split_of.keys())].groupby(group_label):
        order = rng.permutation(groups.index.to_numpy())
        n_test = round(len(order) * config.test_fraction)
        n_val = round(len(order) * config.validation_fraction)
        split_of.update({g: "test" for g in order[:n_test]})
        split_of.update({g: "validation" for g in order[n_test : n_test + n_val]})
        split_of.update({g: "train" for g in order[n_test + n_val :]})
    return rows["group"].map(split_of)


def fingerprint(corpus: pd.DataFrame) -> str:
    """sha256 over (split, label, normalised text) of every row: identifies the exact training data of a model."""
    digest = hashlib.sha256()
    for split, label, text in corpus[["split", "label", "text"]].sort_values(["split", "text"]).itertuples(index=False):
        digest.update(f"{split}\t{label}\t{text}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def build(config: CorpusConfig) -> dict:
    """Build the corpus files and return the stats document.

    One BLAS/OpenMP thread: the shortcut checks' gradient boosting oversubscribes a busy 2-core machine (37 s became
    706 s), and the build is deterministic whatever the thread count.
    """
    with threadpool_limits(limits=1):
        return _build(config)


def _build(config: CorpusConfig) -> dict:
    start = time.perf_counter()
    rows = collect(config)
    n_collected = len(rows)
    rows["normalised"] = [normalize(text) for text in rows["text"]]
    rows["key"] = [dedup_key(text) for text in rows["normalised"]]
    rows = rows[rows["key"] != ""].sort_values("priority", kind="stable").reset_index(drop=True)
    n_nonempty = len(rows)
    rows = rows.drop_duplicates("key").reset_index(drop=True)
    n_unique = len(rows)
    rows["group"] = duplicate_groups(rows["key"].tolist())
    n_groups = rows["group"].nunique()
    rows = cap_sources(rows, config.cap_per_source_label, config.seed)
    rows["split"] = assign_splits(rows, config)
    # Silver labels are guesses: the splits that measure keep labelled posts only (validation keeps silver rows, which
    # the threshold cap watches), and a silver row never sits in a duplicate group with a hand-labelled post, whose
    # label it might contradict.
    silver = rows["origin"] == "silver:pool"
    labelled_groups = set(rows.loc[rows["origin"].str.startswith(("annotated", "relabelled")), "group"])
    rows = rows[~(silver & (rows["split"].isin(["test", "real_test", "heldout_pool"]) | rows["group"].isin(labelled_groups)))]
    authored = rows["source"] == "authored"
    real_train = rows["origin"].str.startswith("annotated") & rows["split"].isin(["train", "validation", "test"])
    rates = surface_rates(rows.loc[real_train, "text"])
    auc_before = audit.authored_vs_real_auc(rows.loc[authored, "text"], rows.loc[real_train, "text"])
    rows.loc[authored, "text"] = match_surface(rows.loc[authored, "text"], rates, config.seed)
    rows["weight"] = np.where(rows["origin"] == "silver:pool", config.silver_weight, 1.0)
    surface_weights, weighted_auc = audit.authored_weights(rows.loc[authored, "text"], rows.loc[real_train, "text"])
    if config.authored_surface_weights:
        rows.loc[authored, "weight"] = surface_weights
    corpus = rows[["text", "label", "source", "subtype", "origin", "row_key", "group", "split", "weight"]]

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        corpus[corpus["split"] == split].drop(columns="split").reset_index(drop=True).to_parquet(out / f"{split}.parquet")

    stats = {
        "config": asdict(config),
        "fingerprint": fingerprint(corpus),
        "rows": {"collected": n_collected, "non_empty": n_nonempty, "after_exact_dedup": n_unique,
                 "near_duplicates_grouped": int(n_unique - n_groups), "final": len(corpus)},
        "counts": {
            split: {label: {source: int(n) for source, n in by_source.items()}
                    for label, by_source in part.groupby("label")["source"].value_counts().unstack(fill_value=0).iterrows()}
            for split, part in corpus.groupby("split")
        },
        "label_totals": {split: part["label"].value_counts().to_dict() for split, part in corpus.groupby("split")},
        "surface_rates_of_real_posts": {k: round(v, 4) for k, v in rates.items()},
        "shortcut_checks": {**shortcut_checks(corpus),
                            "authored_vs_real_surface_auc_before_matching": round(auc_before, 4),
                            "authored_vs_real_surface_auc_weighted": round(weighted_auc, 4)},
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    paths = [out / "corpus_stats.json"]
    if out.resolve() == (REPO / "data" / "processed").resolve():  # only the project's own corpus updates the copy
        paths.append(REPO / "data" / "corpus_stats.json")
    for path in paths:
        path.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return stats


def shortcut_checks(corpus: pd.DataFrame) -> dict:
    """Source-only, surface-only and authored-vs-real numbers (see :mod:`training.audit`)."""
    train = corpus[corpus["split"] == "train"].assign(raw_text=lambda d: d["text"])
    test = corpus[corpus["split"] == "test"].assign(raw_text=lambda d: d["text"])
    real = corpus[corpus["origin"].str.startswith("annotated") & corpus["split"].isin(["train", "validation", "test"])]
    authored = corpus[corpus["origin"] != "public"].query("source == 'authored'")
    checks = {
        "source_only_macro_f1_test": round(audit.source_only_macro_f1(train, test), 4),
        "surface_only_macro_f1_test": round(audit.surface_only_macro_f1(train, test), 4),
        "majority_class_macro_f1_test": round(
            float(audit.f1_score(test["label"], [train["label"].mode()[0]] * len(test), average="macro")), 4
        ),
    }
    if len(authored) and len(real):
        checks["authored_vs_real_surface_auc"] = round(audit.authored_vs_real_auc(authored["text"], real["text"]), 4)
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = CorpusConfig()
    parser.add_argument("--data-dir", default=defaults.data_dir, help="folder holding the shared datasets")
    parser.add_argument("--out", default=defaults.out, help="output folder (git-ignored)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--cap-per-source-label", type=int, default=defaults.cap_per_source_label)
    parser.add_argument("--hs-mapping", choices=("identity", "all"), default=defaults.hs_mapping)
    parser.add_argument("--public-hate", choices=("mapped", "relabelled"), default=defaults.public_hate,
                        help="hate rows of the relabelled public sources: all mapped ones, or only relabelled ones")
    parser.add_argument("--no-pool-silver", dest="pool_silver", action="store_false",
                        help="leave the unlabelled training-pool posts out (default: silver benign rows)")
    parser.add_argument("--no-surface-weights", dest="authored_surface_weights", action="store_false",
                        help="give every authored post weight 1 instead of its surface weight")
    args = parser.parse_args(argv)
    config = CorpusConfig(args.data_dir, args.out, args.seed, args.cap_per_source_label, hs_mapping=args.hs_mapping,
                          public_hate=args.public_hate, pool_silver=args.pool_silver,
                          authored_surface_weights=args.authored_surface_weights)
    if not Path(config.data_dir).is_dir():
        parser.error(f"--data-dir {config.data_dir} does not exist")
    stats = build(config)
    print(json.dumps({k: stats[k] for k in ("rows", "label_totals", "shortcut_checks", "build_seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
