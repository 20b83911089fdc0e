"""The training side of the fact-check lookup: cross-archive pairing, splits, templates (fictional texts only)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import DATA_DIR
from training import stance_templates
from training.factcheck_archive import COLUMNS, claim_key, cross_pairs, load_archive, split_of


def frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    df = pd.DataFrame([{"claim": claim, "origin": origin} for claim, origin in rows])
    df["key"] = df["claim"].map(claim_key)
    return df


def test_cross_pairs_pair_equal_claims_across_archives_only():
    df = frame([
        ("Video kotak suara dibakar di Sukamaju", "arsip_a"),
        ("VIDEO: Kotak Suara Dibakar di Sukamaju!", "arsip_b"),      # same claim, other archive -> a pair
        ("Video kotak suara dibakar di Sukamaju", "arsip_a"),        # same archive -> no extra pair
        ("Paslon membagikan amplop di Karangasri", "arsip_c"),
    ])
    pairs = cross_pairs(df)
    assert len(pairs) == 1
    assert {pairs.loc[0, "origin_i"], pairs.loc[0, "origin_j"]} == {"arsip_a", "arsip_b"}


def test_splits_are_by_claim_and_stable():
    keys = [claim_key(f"Klaim fiktif nomor {i} tentang pilkada") for i in range(400)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    shares = {name: splits.count(name) / len(splits) for name in ("train", "validation", "test")}
    assert 0.4 < shares["train"] < 0.6 and 0.08 < shares["validation"] < 0.22 and 0.25 < shares["test"] < 0.45


def test_templates_variants_are_deterministic():
    claim = "Petugas KPPS mencoblos sisa surat suara di TPS 7, kata warga"
    assert stance_templates.paraphrase(claim) == stance_templates.paraphrase(claim) != claim
    assert stance_templates.truncate(claim) == "Petugas KPPS mencoblos sisa surat suara"
    for templates in (stance_templates.TRAIN, stance_templates.HELDOUT):
        assert set(templates) == {"asserts", "questions", "debunks"}
        assert all("{c}" in t for options in templates.values() for t in options)
    train = {t for options in stance_templates.TRAIN.values() for t in options}
    assert not train & {t for options in stance_templates.HELDOUT.values() for t in options}


@pytest.mark.realdata
def test_archive_from_the_shared_datasets():
    if not DATA_DIR.is_dir():
        pytest.skip("shared datasets not available")
    df = load_archive(DATA_DIR)
    assert list(df.columns) == COLUMNS
    assert set(df["origin"]) == {"turnbackhoax2024_alharkan", "mafindo_hoax_1k", "bdc2020_satriadata_hoax",
                                 "pilpres2024_hoax_headlines"}
    assert len(cross_pairs(df)) > 500
