"""``pilkada-nlp score``: summary and reports, one-line errors with a non-zero exit, resume from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pilkada_nlp import load_model
from pilkada_nlp.batch import score_file
from pilkada_nlp.cli import main
from pilkada_nlp.labels import FLAG_LABELS, LABELS
from pilkada_nlp.summary import BINS, Summary
from tests.conftest import REPO

pytest.importorskip("pyarrow")
SAMPLE = REPO / "data" / "samples" / "patrol_sample.csv"


def test_sample_export_is_committed_with_bad_rows():
    frame = pd.read_csv(SAMPLE, dtype=object, keep_default_na=False, encoding_errors="surrogateescape")
    assert len(frame) >= 200 + 3 and frame["post_id"].is_unique
    assert frame["register"].nunique() >= 6
    assert (frame["text"].str.strip() == "").sum() == 2 and frame["text"].str.contains("[\udc80-\udcff]").sum() == 1


def test_summary_adds_up_to_the_row_count(tiny_model_dir, tmp_path):
    summary = score_file(SAMPLE, tmp_path / "out.csv", text_column="text", model=tiny_model_dir, chunksize=50,
                         progress=False, top_n=5)
    rows = len(pd.read_csv(tmp_path / "out.csv"))
    assert summary.rows == rows
    assert sum(summary.label_counts.values()) + summary.errors == rows
    assert sum(summary.error_counts.values()) == summary.errors == 3
    assert abs(sum(summary.shares().values()) - 1) < 1e-12
    for label in LABELS:
        assert len(summary.histograms[label]) == BINS and sum(summary.histograms[label]) == rows - summary.errors
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert summary.flagged == (out["flags"] != "").sum()
    assert summary.flag_counts == {
        label: sum(label in flags.split(";") for flags in out["flags"]) for label in FLAG_LABELS
    }
    scores = [item["score"] for item in summary.top]
    assert len(summary.top) == min(5, summary.flagged) and scores == sorted(scores, reverse=True)
    for item in summary.top:
        row = out.iloc[item["row"] - 1]  # rows are numbered from 1
        assert row["label"] == item["label"] and row["flags"] and float(row["score"]) == item["score"]
    assert Summary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary


def test_score_command_prints_summary_and_writes_reports(tiny_model_dir, tmp_path, capsys):
    out, html, report = tmp_path / "out.parquet", tmp_path / "report.html", tmp_path / "report.json"
    args = ["score", str(SAMPLE), "-o", str(out), "--model", str(tiny_model_dir), "--quiet"]
    assert main([*args, "--report", str(html)]) == 0
    captured = capsys.readouterr()
    assert "error (not scored)" in captured.out and "top " in captured.out
    assert "rows/s" not in captured.err  # --quiet: no progress bar
    assert html.read_text(encoding="utf-8").count("data:image/png;base64,") == 2
    assert main([*args, "--report", str(report)]) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["rows"] == len(pd.read_parquet(out)) == sum(data["label_counts"].values()) + data["errors"]


def test_progress_bar_shows_rows_per_second(tiny_model_dir, tmp_path, capsys):
    assert main(["score", str(SAMPLE), "-o", str(tmp_path / "o.csv"), "--model", str(tiny_model_dir)]) == 0
    assert "rows/s" in capsys.readouterr().err


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "input file not found"),
    (lambda d: (d / "in.csv").write_bytes(b""), "the file is empty"),
    (lambda d: (d / "in.csv").write_text("id,body\n1,x\n"), "text column 'text' not found; the columns are: id, body"),
    (lambda d: (d / "in.csv").write_text('id,text\n1,"never closed\n'), "truncated or corrupt"),
])
def test_bad_input_is_a_one_line_error_with_nonzero_exit(tiny_model_dir, tmp_path, capsys, setup, message):
    setup(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["score", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model_dir)])
    assert exit_info.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert not (tmp_path / "out.csv").exists()


def test_installed_command_fails_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pilkada_nlp.cli", "score", str(tmp_path / "missing.xlsx"), "-o",
                           str(tmp_path / "o.csv")], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "input file not found" in done.stderr


def test_resume_flag_continues_an_interrupted_run(tiny_model_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out.csv"
    whole = tmp_path / "whole.csv"
    assert main(["score", str(SAMPLE), "-o", str(whole), "--model", str(tiny_model_dir), "--quiet",
                 "--chunksize", "40"]) == 0
    model = load_model(tiny_model_dir)
    original, calls = model.classify, []

    def interrupted(texts, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(texts, **kwargs)

    monkeypatch.setattr(model, "classify", interrupted)
    args = ["score", str(SAMPLE), "-o", str(out), "--model", str(tiny_model_dir), "--quiet", "--chunksize", "40"]
    assert main(args) == 130
    assert "--resume" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--resume"]) == 0
    assert out.read_bytes() == whole.read_bytes()
    assert len(calls) == 3 + 5  # 7 chunks: 2 done before the interruption, 5 after it


def test_scores_equal_classify_on_the_sample(tiny_model_dir, tmp_path):
    score_file(SAMPLE, tmp_path / "out.csv", text_column="text", model=tiny_model_dir, progress=False)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    ok = out["error"] == ""
    expected = load_model(tiny_model_dir).predict_proba(out.loc[ok, "text"].tolist())
    got = out.loc[ok, [f"score_{label}" for label in LABELS]].astype(float).to_numpy()
    assert np.array_equal(got, expected)  # CSV keeps full float precision


def test_scale_benchmark_runs_quick():
    """The benchmark is not a test (no timing is checked); this only keeps the script from rotting."""
    done = subprocess.run([sys.executable, "benchmarks/batch_scale.py", "--quick", "--json"], cwd=REPO,
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["rows"] == result["output_rows"] == 2_000 and result["peak_rss_mb"] > 0
