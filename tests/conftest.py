"""Shared fixtures: where the shared datasets live, and a tiny model trained inside the tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from pilkada_nlp.backends.linear import FeatureConfig, LinearBackend, NgramFeatures
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models.manifest import write_manifest
from pilkada_nlp.text import NORMALIZER_VERSION, normalize

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("PILKADA_DATA_DIR", REPO.parent / "shared" / "datasets"))

TINY_CORPUS = {
    "hoax": ["surat suara sudah dicoblos semua di gudang kpu sebarkan", "server kpu diretas hasil sudah diatur",
             "boleh nyoblos dua kali pakai ktp lain kata panitia"],
    "hate_speech": ["usir semua pendatang dari kampung kita mereka perusak", "kaum itu memang licik semua jangan dipilih",
                    "perempuan tidak pantas memimpin urus dapur saja"],
    "illegal_campaign": ["besok subuh amplop seratus ribu asal coblos nomor dua", "ambil sembako di posko syarat pilih bu ratna",
                         "asn wajib menangkan paslon tiga perintah kepala dinas"],
    "benign": ["bawaslu menerima laporan dugaan politik uang di kecamatan", "debat paslon malam ini membahas stunting",
               "ayo datang ke tps tanggal 27 november gunakan hak pilih"],
}


def train_tiny_model(directory: Path) -> Path:
    """Train and save a real (if tiny) linear model in ``directory``; seconds on 2 cores."""
    texts = [t for label in LABELS for t in TINY_CORPUS[label]]
    y = [LABELS.index(label) for label in LABELS for _ in TINY_CORPUS[label]]
    normalised = [normalize(t) for t in texts]
    features = NgramFeatures(FeatureConfig(min_df=1)).fit(normalised)
    model = LogisticRegression(C=10.0, max_iter=500).fit(features.transform(normalised), y)
    directory.mkdir(parents=True, exist_ok=True)
    LinearBackend(list(LABELS), features, model.coef_, model.intercept_).save(directory)
    write_manifest(directory, {
        "name": "tiny", "version": "test", "backend": "linear", "labels": list(LABELS),
        "normalizer_version": NORMALIZER_VERSION, "temperature": 1.0,
        "thresholds": {"hoax": 0.4, "hate_speech": 0.4, "illegal_campaign": 0.4},
    })
    return directory


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return train_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def built_corpus(tmp_path_factory) -> Path:
    """The full corpus built from ../shared/datasets once per test session; skips when the data is absent."""
    if not DATA_DIR.is_dir():
        pytest.skip("shared datasets not available")
    from training import build_corpus

    out = tmp_path_factory.mktemp("corpus")
    build_corpus.build(build_corpus.CorpusConfig(data_dir=str(DATA_DIR), out=str(out)))
    return out


@pytest.fixture(scope="module")
def torch_one_thread():
    """One torch thread per test module: on 2 shared cores, OpenMP oversubscription slows torch tenfold."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
