"""Each benchmark script runs end to end with ``--quick`` on tiny synthetic data. Benchmarks are not tests: nothing
here checks a score or a timing, only that the scripts run and print their report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, TINY_CORPUS

HATE = ["dasar kaum {} licik usir saja", "{} memang perusak kampung kita", "benci semua orang {} pergi sana"]
OTHER = ["ayo datang ke tps pilih {} dengan damai", "debat paslon {} malam ini seru", "selamat pagi warga {} semua"]
NAMES = ["kampung", "kota", "desa", "pulau"]


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=REPO, check=False, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def fold_rows(n: int) -> tuple[list[str], list[int]]:
    texts = [templates[i % 3].format(NAMES[i % len(NAMES)]) for i in range(n) for templates in (HATE, OTHER)]
    return texts, [1, 0] * n


@pytest.fixture(scope="module")
def folds_dir(tmp_path_factory) -> Path:
    """Fold 0 of HS1 and HS2 in the layout and encoding of the IndoBERTweet files, with synthetic tweets."""
    root = tmp_path_factory.mktemp("hs_folds")
    for dataset, label_column in (("HS1", "HS"), ("HS2", "Label")):
        (root / dataset).mkdir()
        for split, n in (("train", 12), ("dev", 6), ("test", 6)):
            texts, labels = fold_rows(n)
            frame = pd.DataFrame({"Tweet": texts, label_column: labels})
            frame.to_csv(root / dataset / f"{split}0.csv", index=False, encoding="ISO-8859-1")
    return root


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    """A corpus folder with every split, including hard negatives (authored and real annotated)."""
    root = tmp_path_factory.mktemp("corpus")
    rows = [
        {"text": text, "label": label, "source": "authored" if i % 2 else "synthetic_public", "subtype": None,
         "origin": "illegal_campaign_part1" if i % 2 else "public"}
        for label, texts in TINY_CORPUS.items() for i, text in enumerate(texts)
    ]
    rows += [
        {"text": "bawaslu temukan amplop serangan fajar", "label": "benign", "source": "authored",
         "subtype": "news_report", "origin": "hard_negatives_part1"},
        {"text": "lapor min ada bagi sembako di posko", "label": "benign", "source": "pilkada_jatim2024_tweets",
         "subtype": "citizen_report", "origin": "annotated:random"},
    ]
    frame = pd.DataFrame(rows)
    for split in ("train", "validation", "test", "real_test"):
        frame.to_parquet(root / f"{split}.parquet")
    return root


def test_hs_folds_quick(folds_dir):
    out = run("hs_folds.py", "--quick", "--folds-dir", str(folds_dir), "--c-grid", "1", "4")
    assert "pilkada-nlp linear (this run)" in out and "IndoBERTweet" in out
    assert "| HS1 | 0 |" in out and "| HS2 | 0 |" in out


@pytest.fixture(scope="module")
def tiny_backbone(tmp_path_factory) -> Path:
    """A one-layer BERT with a WordPiece vocabulary of the synthetic tweets, saved as the trainer expects."""
    pytest.importorskip("torch")
    pytest.importorskip("datasets")
    transformers = pytest.importorskip("transformers")
    from tokenizers import BertWordPieceTokenizer

    directory = tmp_path_factory.mktemp("backbone")
    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator(fold_rows(12)[0], vocab_size=200, show_progress=False)
    wordpiece.save(str(directory / "tokenizer.json"))
    transformers.PreTrainedTokenizerFast(
        tokenizer_file=str(directory / "tokenizer.json"), unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]",
    ).save_pretrained(directory)
    config = transformers.BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32)
    transformers.BertModel(config).save_pretrained(directory, safe_serialization=True)
    return directory


def test_hs_folds_quick_with_transformer(folds_dir, tiny_backbone):
    out = run("hs_folds.py", "--quick", "--folds-dir", str(folds_dir), "--datasets", "HS2", "--c-grid", "1",
              "--transformer", str(tiny_backbone), "--transformer-epochs", "1")
    assert f"**pilkada-nlp transformer ({tiny_backbone}) (this run)**" in out
    assert "best dev step" in out


def test_hs_folds_missing_folder_is_a_clear_error(tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/hs_folds.py", "--folds-dir", str(tmp_path)], cwd=REPO,
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "neither HS1/ nor HS2/" in done.stderr and "Traceback" not in done.stderr


def test_corpus_eval_quick(tiny_corpus, tiny_model_dir):
    out = run("corpus_eval.py", "--quick", "--corpus", str(tiny_corpus), "--model", str(tiny_model_dir))
    assert "tiny (linear) on `test`" in out and "tiny (linear) on `real_test`" in out
    assert "majority (benign) F1" in out and "Confusion matrix" in out and "Hard negatives" in out
    assert "| real annotated | 1 |" in out and "| authored | 1 |" in out
    assert "cannot tell whether it was trained on this corpus" in out  # neither side records a fingerprint


def test_corpus_eval_without_corpus_or_data_tells_the_command(tmp_path):
    done = subprocess.run([sys.executable, "benchmarks/corpus_eval.py", "--corpus", str(tmp_path / "none"),
                           "--data-dir", str(tmp_path / "nodata")], cwd=REPO, check=False, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "python -m training.build_corpus" in done.stderr


def test_speed_quick(tiny_model_dir):
    out = run("speed.py", "--quick", "--no-torch", "--model", str(tiny_model_dir))
    assert "pilkada-nlp tiny (linear)" in out and "scikit-learn TF-IDF" in out and "Cold start" in out
    assert "skipped: --no-torch" in out


def test_speed_paths_quick_reports_identical_fast_path(tiny_model_dir):
    out = run("speed.py", "--paths", "--quick", "--model", str(tiny_model_dir))
    assert "bit-identical" in out and "fast ÷ reference" in out and "Cold start" in out
