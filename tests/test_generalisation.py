"""The out-of-source benchmark's data and its quick run (issue: generalise beyond the training sources).

* the sanity suite (contentless posts) must come out ``benign`` from the shipped default model;
* the functional suite is evaluation data: no case of it may be in the training corpus, not even as a near copy;
* every stand-off label resolves to a row of its source, and the held-out pool never reaches training;
* ``benchmarks/generalisation.py --quick`` runs end to end and writes its report.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import pilkada_nlp
from pilkada_nlp.labels import BENIGN, LABELS
from pilkada_nlp.text import normalize
from tests.conftest import DATA_DIR, REPO
from training.dedup import dedup_key, duplicate_groups

FUNCTIONAL = REPO / "data" / "functional"


@pytest.fixture(scope="module")
def suite() -> pd.DataFrame:
    return pd.read_csv(FUNCTIONAL / "functional_suite.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sanity() -> pd.DataFrame:
    return pd.read_csv(FUNCTIONAL / "sanity.csv", dtype=str, keep_default_na=False)


def test_suites_are_well_formed(suite, sanity):
    assert suite["case_id"].is_unique and sanity["case_id"].is_unique
    assert set(suite["label"]) == set(LABELS)
    per_functionality = suite.groupby("functionality").size()
    assert len(per_functionality) >= 30 and per_functionality.min() >= 20
    assert (suite["text"].str.strip() != "").all()


def test_sanity_suite_is_benign_with_the_shipped_model(sanity):
    """The issue's target is 99 %; the shipped default gets 128 of 130 (benchmarks/RESULTS.md). This floor catches a
    regression; the misses (greetings with words outside the no-evidence list) are reported, not hidden."""
    predictions = pilkada_nlp.classify(list(sanity["text"]))
    flagged = [(p.label, t) for p, t in zip(predictions, sanity["text"]) if p.label != BENIGN]
    assert len(flagged) <= 3, flagged


@pytest.mark.realdata
def test_functional_suite_shares_no_near_duplicate_with_the_corpus(built_corpus, suite):
    corpus = pd.concat([pd.read_parquet(path) for path in sorted(built_corpus.glob("*.parquet"))], ignore_index=True)
    corpus_keys = [dedup_key(normalize(text)) for text in corpus["text"]]
    suite_keys = [dedup_key(normalize(text)) for text in suite["text"]]
    assert not set(suite_keys) & set(corpus_keys), "a functional-suite case is in the corpus"
    groups = duplicate_groups(suite_keys + corpus_keys)  # MinHash near-copies share a group
    suite_groups = set(groups[: len(suite_keys)])
    assert not suite_groups & set(groups[len(suite_keys) :]), "a functional-suite case nearly copies a corpus post"


@pytest.mark.realdata
def test_every_stand_off_label_resolves_and_the_held_out_pool_stays_out(built_corpus):
    from training.project_data import join_annotations, read_annotations
    from training.sources import HELDOUT_POOL, LOADERS

    annotations = read_annotations()
    sources = sorted(set(annotations["source"]))
    rows = pd.concat([LOADERS[name](DATA_DIR) for name in sources])
    joined = join_annotations(annotations, rows)  # raises on any key that matches no row
    assert len(joined) == len(annotations.drop_duplicates(["source", "row_key"]))
    for split in ("train", "validation", "test", "real_test"):
        assert HELDOUT_POOL not in set(pd.read_parquet(built_corpus / f"{split}.parquet")["source"])
    pool = pd.read_parquet(built_corpus / "heldout_pool.parquet")
    assert (pool["source"] == HELDOUT_POOL).mean() > 0.95, "the pool split is the held-out pool (plus near copies)"
    assert not pool["origin"].str.startswith("silver").any(), "evaluation splits hold hand-labelled posts only"


@pytest.mark.realdata
def test_generalisation_benchmark_quick_run(built_corpus, tmp_path):
    from benchmarks import generalisation

    out = tmp_path / "generalisation.json"
    assert generalisation.main(["--quick", "--corpus", str(built_corpus), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    default, baseline = report["models"]["default"], report["models"]["always benign (baseline)"]
    assert default["functional"]["non_benign_flag_recall"] > baseline["functional"]["non_benign_flag_recall"] == 0.0
    assert default["functional"]["benign_false_flag_rate"] < 0.5, "the default flags most benign suite cases"
    assert default["heldout_pool"]["benign_n"] > 0 and default["heldout_pool"]["false_flag_rate"] < 0.5
    assert set(report["loso"]) == set(generalisation.QUICK_FAMILIES)
    for scores in report["loso"].values():
        assert scores["left_out"]["macro_f1"] is not None and scores["in_distribution"]["n"] > 0
