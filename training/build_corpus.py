"""Build the training corpus: every useful shared dataset plus this project's data, de-duplicated and split by group.

    python -m training.build_corpus --data-dir ../shared/datasets --out data/processed

Writes ``train/validation/test/real_test.parquet`` and ``corpus_stats.json`` to ``--out`` (git-ignored: the texts are
licensed); when ``--out`` is the default ``data/processed``, also a copy of the stats, which hold only counts, to the
committed ``data/corpus_stats.json``.

Splits:
* ``real_test``: the random (never keyword-picked) slice of hand-labelled real election posts, plus anything in a
  duplicate group with them. Never trained or tuned on: it measures false flags on real posts.
* ``train`` / ``validation`` / ``test``: everything else, 80/10/10 by duplicate group, stratified by label.

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

from pilkada_nlp.text import normalize
from training import audit
from training.augment import match_surface, surface_rates
from training.dedup import dedup_key, duplicate_groups
from training.project_data import REPO, join_annotations, load_authored, load_reviewed, read_annotations
from training.sources import LOADERS, POOL_SOURCES, load_all

SPLITS = ("train", "validation", "test", "real_test")


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


def collect(config: CorpusConfig) -> pd.DataFrame:
    """All labelled rows from public sources, stand-off annotations and authored posts, highest priority first."""
    data_dir = Path(config.data_dir)
    public_names = [name for name in LOADERS if name not in POOL_SOURCES]
    public = pd.concat(
        [LOADERS[name](data_dir, **({"hs_mapping": config.hs_mapping} if name == "ibrohim_multilabel_hs" else {}))
         for name in public_names],
        ignore_index=True,
    ).assign(origin="public")
    annotated = join_annotations(read_annotations(), load_all(data_dir, list(POOL_SOURCES)))
    authored = load_authored()
    # Priority decides which copy of an exact duplicate survives: our own labels beat public ones.
    reviewed = load_reviewed()  # the user's own posts from `pilkada-nlp review-import`
    frames = [annotated.assign(priority=0), reviewed.assign(priority=0), authored.assign(priority=1),
              public.assign(priority=2)]
    rows = pd.concat(frames, ignore_index=True)
    return rows[["text", "label", "source", "row_key", "subtype", "origin", "priority"]]


def cap_sources(rows: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """Keep at most ``cap`` rows per (public source, label); project rows are never capped."""
    public = rows["origin"] == "public"
    capped = (
        rows[public].sample(frac=1.0, random_state=seed).groupby(["source", "label"], sort=False).head(cap)
    )
    return pd.concat([rows[~public], capped]).sort_index()


def assign_splits(rows: pd.DataFrame, config: CorpusConfig) -> pd.Series:
    """Split name per row, decided per duplicate group (see module docstring)."""
    rng = np.random.default_rng(config.seed)
    is_real_test = rows["origin"] == "annotated:random"
    real_test_groups = set(rows.loc[is_real_test, "group"])
    group_label = rows.drop_duplicates("group").set_index("group")["label"]
    split_of: dict[int, str] = {g: "real_test" for g in real_test_groups}
    for _, groups in group_label[~group_label.index.isin(real_test_groups)].groupby(group_label):
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
    """Build the corpus files and return the stats document."""
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
    authored = rows["source"] == "authored"
    real_train = rows["origin"].str.startswith("annotated") & (rows["split"] != "real_test")
    rates = surface_rates(rows.loc[real_train, "text"])
    auc_before = audit.authored_vs_real_auc(rows.loc[authored, "text"], rows.loc[real_train, "text"])
    rows.loc[authored, "text"] = match_surface(rows.loc[authored, "text"], rates, config.seed)
    corpus = rows.rename(columns={"text": "raw_text"}).assign(text=lambda d: d["raw_text"])
    corpus = corpus[["text", "label", "source", "subtype", "origin", "row_key", "group", "split"]]

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
                            "authored_vs_real_surface_auc_before_matching": round(auc_before, 4)},
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
    real = corpus[corpus["origin"].str.startswith("annotated")]
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
    args = parser.parse_args(argv)
    config = CorpusConfig(args.data_dir, args.out, args.seed, args.cap_per_source_label, hs_mapping=args.hs_mapping)
    if not Path(config.data_dir).is_dir():
        parser.error(f"--data-dir {config.data_dir} does not exist")
    stats = build(config)
    print(json.dumps({k: stats[k] for k in ("rows", "label_totals", "shortcut_checks", "build_seconds")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
