"""Train the default linear model on the corpus and write a model directory.

    python -m training.train_linear --corpus data/processed --out pilkada_nlp/models/default

Recipe (every choice made on the validation split only; the test splits are scored once, at the end):
1. TF-IDF over word 1-2-grams and character 2-5-grams of normalised text (``pilkada_nlp.text.normalize``).
2. Multinomial logistic regression, balanced class weights; real annotated posts weigh ``real_weight`` times more
   because they are the deployment domain; the corpus's ``weight`` (surface weights of authored posts, silver rows)
   multiplies in; then every label gets the same total weight. ``C`` is picked from ``c_grid`` by validation macro-F1.
3. Temperature scaling on validation (one scalar, minimising log-loss) so scores are calibrated probabilities.
4. Per-label thresholds on validation, by coordinate ascent on macro-F1 of the full decision rule (minimum-evidence
   rule included), among the thresholds that flag at most ``max_real_false_flag_rate`` of the benign validation
   posts written by ordinary social-media users (``training.sources.SOCIAL_MEDIA_SOURCES``).
5. Test, real-test and held-out-pool metrics, with a majority-class baseline, go into the manifest (the
   out-of-source benchmark, ``benchmarks/generalisation.py``, adds the functional suite and leave-one-source-out).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression

import pilkada_nlp
from pilkada_nlp.backends.linear import FeatureConfig, LinearBackend, NgramFeatures
from pilkada_nlp.labels import BENIGN, LABELS
from pilkada_nlp.models.classifier import softmax
from pilkada_nlp.models.manifest import write_manifest
from pilkada_nlp.text import NORMALIZER_VERSION, has_evidence, normalize
from training import outdir
from training.evaluate import label_metrics, split_metrics
from training.licences import LICENCES
from training.sources import SOCIAL_MEDIA_SOURCES

THRESHOLD_GRID = np.round(np.arange(0.1, 0.951, 0.025), 3)


@dataclass(frozen=True)
class LinearConfig:
    """Training settings; saved in the manifest under ``config``."""

    corpus: str = "data/processed"
    out: str = "pilkada_nlp/models/default"
    name: str = "default"
    seed: int = 13
    c_grid: tuple[float, ...] = (1.0, 4.0)
    real_weight: float = 2.0
    #: Most benign validation posts of ordinary social-media users (``SOCIAL_MEDIA_SOURCES``) that may be flagged at
    #: the chosen thresholds; ``None`` tunes for macro-F1 alone. Posts of the pools alone are not enough: they are in
    #: distribution (the same pools are in train), so capping only them let the held-out pool get 20 % false flags.
    max_real_false_flag_rate: float | None = 0.02
    #: Multiplier of each label's total weight after balancing (1 when absent).
    label_weights: dict[str, float] = field(default_factory=dict)
    max_iter: int = 300
    features: FeatureConfig = field(default_factory=FeatureConfig)


def read_split(corpus: Path, split: str) -> pd.DataFrame:
    path = corpus / f"{split}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; build the corpus first: python -m training.build_corpus")
    return pd.read_parquet(path)


def decide(probabilities: np.ndarray, thresholds: dict[str, float], texts: list[str] | None = None,
           evidence: np.ndarray | None = None) -> np.ndarray:
    """The classifier's decision rule, vectorised: the best flag over its threshold, else benign.

    With the raw ``texts`` (or their precomputed ``evidence`` mask), the minimum-evidence rule applies too (a post
    without evidence is benign), so the metrics stored in a manifest are those of ``classify``.
    """
    index = {label: i for i, label in enumerate(LABELS)}
    passing = np.zeros_like(probabilities, dtype=bool)
    for label, threshold in thresholds.items():
        passing[:, index[label]] = probabilities[:, index[label]] >= threshold
    if evidence is None and texts is not None:
        evidence = np.array([has_evidence(normalize(text)) for text in texts])
    if evidence is not None:
        passing &= evidence[:, None]
    masked = np.where(passing, probabilities, -1.0)
    best = masked.argmax(axis=1)
    return np.where(passing.any(axis=1), np.array(LABELS)[best], BENIGN)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising validation log-loss."""
    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def tune_thresholds(probabilities: np.ndarray, y_true: np.ndarray, rounds: int = 2,
                    watched: np.ndarray | None = None, max_false_flag_rate: float | None = None,
                    texts: list[str] | None = None) -> dict[str, float]:
    """Per-label thresholds maximising validation macro-F1 of :func:`decide`, one label at a time.

    With ``watched`` (a mask of benign rows) and ``max_false_flag_rate``, only thresholds that flag at most that share
    of the watched rows are allowed (the least-flagging one when none is): macro-F1 on a corpus that is 30 % flags
    would otherwise choose thresholds that bury a patrol team reading real posts, ~98 % of which are benign. With no
    watched row the cap does not apply. With the raw ``texts``, the decisions apply the minimum-evidence rule, as
    ``classify`` does.
    """
    thresholds = {label: 0.5 for label in LABELS if label != BENIGN}
    capped = watched is not None and max_false_flag_rate is not None and bool(watched.any())
    evidence = None if texts is None else np.array([has_evidence(normalize(text)) for text in texts])
    for _ in range(rounds):
        for label in thresholds:
            scores = []
            for t in THRESHOLD_GRID:
                trial = {**thresholds, label: float(t)}
                predicted = decide(probabilities, trial, evidence=evidence)
                score = label_metrics(y_true, predicted)["macro_f1"]
                if capped:
                    excess = np.mean(predicted[watched] != BENIGN) - max_false_flag_rate
                    score = score if excess <= 0 else -excess  # any allowed threshold beats every disallowed one
                scores.append(score)
            thresholds[label] = float(THRESHOLD_GRID[int(np.argmax(scores))])
    return thresholds


def tune_capped_thresholds(probabilities: np.ndarray, validation: pd.DataFrame,
                           max_real_false_flag_rate: float | None) -> dict[str, float]:
    """:func:`tune_thresholds` on the ``validation`` frame under the project's cap: at most
    ``max_real_false_flag_rate`` of its benign posts from ordinary social-media users (``SOCIAL_MEDIA_SOURCES``)
    flagged, minimum-evidence rule applied. Every trainer (linear, transformer, ONNX export, ensemble) uses it."""
    ordinary = (validation["source"].isin(SOCIAL_MEDIA_SOURCES) & (validation["label"] == BENIGN)).to_numpy()
    return tune_thresholds(probabilities, validation["label"].to_numpy(), watched=ordinary,
                           max_false_flag_rate=max_real_false_flag_rate, texts=list(validation["text"]))


@dataclass
class FittedLinear:
    """What :func:`fit` returns: the backend and its calibration, ready to score or save."""

    backend: LinearBackend
    temperature: float
    thresholds: dict[str, float]
    c: float

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities of raw texts, columns in ``LABELS`` order."""
        return softmax(self.backend.logits([normalize(t) for t in texts]) / self.temperature)


def row_weights(train: pd.DataFrame, config: LinearConfig) -> np.ndarray:
    """Real annotated posts count more (the deployment domain); the corpus's ``weight`` lowers authored posts that read
    unlike real ones and silver rows; then each label gets the same total weight (balanced classes)."""
    y = train["label"].map({label: i for i, label in enumerate(LABELS)}).to_numpy()
    weights = np.where(train["origin"].str.startswith("annotated"), config.real_weight, 1.0)
    if "weight" in train.columns:  # corpora built before surface and silver weights have none
        weights = weights * train["weight"].to_numpy()
    totals = np.bincount(y, weights=weights, minlength=len(LABELS))
    multipliers = np.array([config.label_weights.get(label, 1.0) for label in LABELS])
    return weights * (weights.sum() * multipliers / (len(LABELS) * totals))[y]


def fit(train: pd.DataFrame, validation: pd.DataFrame, config: LinearConfig) -> FittedLinear:
    """Steps 1-4 of the recipe: features and C chosen, temperature and thresholds tuned, on these two frames only."""
    label_index = {label: i for i, label in enumerate(LABELS)}
    texts = {"train": [normalize(t) for t in train["text"]], "validation": [normalize(t) for t in validation["text"]]}
    y = {"train": train["label"].map(label_index).to_numpy(), "validation": validation["label"].map(label_index).to_numpy()}
    features = NgramFeatures(config.features).fit(texts["train"])
    X = {name: features.transform(values) for name, values in texts.items()}
    weights = row_weights(train, config)
    best = None
    for c in config.c_grid:
        model = LogisticRegression(C=c, max_iter=config.max_iter, random_state=config.seed)
        model.fit(X["train"], y["train"], sample_weight=weights)
        predicted = np.array(LABELS)[model.predict(X["validation"])]
        f1 = label_metrics(validation["label"], predicted)["macro_f1"]
        print(f"C={c}: validation macro-F1 (argmax) {f1:.4f}", flush=True)
        if best is None or f1 > best[0]:
            best = (f1, c, model)
    _, c, model = best
    backend = LinearBackend(list(LABELS), features, model.coef_, model.intercept_)
    validation_logits = backend.logits(texts["validation"])
    temperature = fit_temperature(validation_logits, y["validation"])
    probabilities = softmax(validation_logits / temperature)
    thresholds = tune_capped_thresholds(probabilities, validation, config.max_real_false_flag_rate)
    return FittedLinear(backend, temperature, thresholds, c)


def train(config: LinearConfig) -> dict:
    """Fit, calibrate, tune, evaluate and save; returns the manifest."""
    start = time.perf_counter()
    outdir.check_out(config.out)
    corpus = Path(config.corpus)
    splits = {name: read_split(corpus, name) for name in ("train", "validation", "test", "real_test")}
    if (corpus / "heldout_pool.parquet").is_file():  # corpora built before the held-out pool existed have none
        splits["heldout_pool"] = read_split(corpus, "heldout_pool")
    fitted = fit(splits["train"], splits["validation"], config)
    backend, temperature, thresholds, c = fitted.backend, fitted.temperature, fitted.thresholds, fitted.c
    probabilities = {name: fitted.probabilities(list(frame["text"])) for name, frame in splits.items()}
    train = splits["train"]

    metrics = {}
    majority = train["label"].mode()[0]
    for name in [split for split in splits if split != "train"]:
        predicted = decide(probabilities[name], thresholds, list(splits[name]["text"]))
        metrics[name] = split_metrics(splits[name], predicted, majority)
        print(f"{name}: macro-F1 {metrics[name]['macro_f1']}, flags {metrics[name]['flags']}", flush=True)

    out = outdir.stage(config.out)
    backend.save(out)
    stats_path = corpus / "corpus_stats.json"
    corpus_stats = json.loads(stats_path.read_text()) if stats_path.is_file() else {}
    sources = sorted(set().union(*(set(frame["source"]) for frame in splits.values())))
    manifest = write_manifest(out, {
        "name": config.name,
        "version": pilkada_nlp.__version__,
        "backend": "linear",
        "labels": list(LABELS),
        "normalizer_version": NORMALIZER_VERSION,
        "temperature": round(temperature, 6),
        "thresholds": thresholds,
        "config": {**asdict(config), "chosen_c": c},
        "training_data": {
            "fingerprint": corpus_stats.get("fingerprint"),
            "rows": {name: len(frame) for name, frame in splits.items()},
            "sources": {source: LICENCES.get(source, "unknown") for source in sources},
        },
        "metrics": metrics,
        "environment": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                        "scikit-learn": sklearn.__version__, "pandas": pd.__version__, **numeric_environment()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_seconds": round(time.perf_counter() - start, 1),
    })
    outdir.publish(out, config.out)
    return manifest


def numeric_environment() -> dict:
    """What can change the fitted numbers from one machine to another: the CPU's SIMD features that numpy uses and
    the BLAS library and kernel (a retrain on an AVX-512 machine differed from one on a Haswell-kernel machine)."""
    from threadpoolctl import threadpool_info

    features = getattr(np, "__cpu_features__", None) or getattr(np._core._multiarray_umath, "__cpu_features__", {})
    import emoji

    return {
        "emoji": emoji.__version__,  # normaliser v2 finds emoji sequences with it
        "cpu_simd": sorted(name for name, on in features.items() if on),
        "blas": [{key: pool.get(key) for key in ("internal_api", "version", "architecture", "num_threads")}
                 for pool in threadpool_info() if pool.get("user_api") == "blas"],
    }


def main(argv: list[str] | None = None) -> int:
    defaults = LinearConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=defaults.corpus, help="folder with train/validation/test parquet files")
    parser.add_argument("--out", default=defaults.out, type=outdir.out_argument,
                        help="model directory to write (replaced only if it is a model directory)")
    parser.add_argument("--name", default=defaults.name)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--c-grid", type=float, nargs="+", default=list(defaults.c_grid))
    parser.add_argument("--real-weight", type=float, default=defaults.real_weight)
    parser.add_argument("--max-real-false-flag-rate", type=float, default=defaults.max_real_false_flag_rate,
                        help="cap on false flags among real-pool validation posts when tuning thresholds (1 = none)")
    parser.add_argument("--label-weight", nargs=2, action="append", metavar=("LABEL", "W"), default=[],
                        help="multiply a label's total training weight, e.g. --label-weight hoax 0.5")
    args = parser.parse_args(argv)
    config = LinearConfig(args.corpus, args.out, args.name, args.seed, tuple(args.c_grid), args.real_weight,
                          max_real_false_flag_rate=args.max_real_false_flag_rate,
                          label_weights={label: float(w) for label, w in args.label_weight})
    manifest = train(config)
    print(json.dumps({name: manifest["metrics"][name]["macro_f1"] for name in manifest["metrics"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
