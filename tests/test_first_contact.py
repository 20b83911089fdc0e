"""A new user's first commands (issue 15, items 5, 6, 8, 9, 10): errors that say what to do, help for every option,
output that keeps alignment, and numbers that carry their sample size."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from pilkada_nlp import LABELS, checkout
from pilkada_nlp.cli import main
from pilkada_nlp.models import SHIPPED_DIR
from tests.conftest import REPO


def _usage_error(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train"], ["review-import", "review.csv"]])
def test_training_commands_name_the_missing_extra(argv, capsys, monkeypatch):
    def missing_ftfy(name: str):
        raise ModuleNotFoundError("No module named 'ftfy'", name="ftfy")

    monkeypatch.setattr(checkout.importlib, "import_module", missing_ftfy)
    err = _usage_error(argv, capsys)
    assert "needs the [training] extra (ftfy is not installed): run pip install -e '.[training]'" in err
    assert "run from a checkout" not in err  # the old message blamed the checkout


def test_the_missing_package_is_named_as_pip_knows_it(monkeypatch):
    def missing_sklearn(name: str):
        raise ModuleNotFoundError("No module named 'sklearn'", name="sklearn")

    monkeypatch.setattr(checkout.importlib, "import_module", missing_sklearn)
    with pytest.raises(checkout.CheckoutError, match=r"\(scikit-learn is not installed\)"):
        checkout.import_training("train_linear", "train")


@pytest.mark.parametrize("argv", [["train"], ["review-import", "review.csv"]])
def test_training_commands_outside_a_checkout_say_so(argv, capsys, monkeypatch):
    monkeypatch.setattr(checkout, "find_checkout", lambda cwd=None: None)
    assert "needs a checkout of the pilkada-nlp repository" in _usage_error(argv, capsys)


def test_the_checkout_is_found_from_the_package_or_the_working_directory(tmp_path):
    assert checkout.find_checkout(tmp_path) == REPO  # tests run from a checkout: the package's own
    assert checkout.is_checkout(REPO) and not checkout.is_checkout(tmp_path)
    assert checkout.import_training("agreement", "test").__name__ == "training.agreement"


def test_html_report_without_matplotlib_fails_before_scoring(tiny_model_dir, tmp_path, capsys, monkeypatch):
    (tmp_path / "in.csv").write_text("text\namplop seratus ribu\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setattr("pilkada_nlp.batch.score_file", lambda *a, **k: pytest.fail("scored before the check"))
    err = _usage_error(["score", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--model",
                        str(tiny_model_dir), "--report", str(tmp_path / "r.html")], capsys)
    assert "an HTML report needs matplotlib: pip install 'pilkada-nlp[batch]'" in err


def test_usage_errors_are_one_line_without_the_usage_block(capsys):
    err = _usage_error(["score", "in.csv"], capsys)
    assert err.splitlines() == ["pilkada-nlp score: error: the following arguments are required: -o/--output",
                                "Try 'pilkada-nlp score --help' for the options."]


def test_every_option_of_every_command_has_help(capsys):
    from pilkada_nlp.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name, parser in commands.items():
        for action in parser._actions:
            assert action.help, f"{name} {action.dest} has no help"
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    out = capsys.readouterr().out
    assert "the column holding the post text (default: text)" in out and "--model MODEL  " in out


def test_classify_table_shows_whole_label_names(tiny_model_dir, capsys):
    assert main(["classify", "--model", str(tiny_model_dir), "amplop seratus ribu"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == ["label", "score", *LABELS, "text"]


def test_blank_stdin_lines_keep_their_place(tiny_model_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("amplop seratus ribu\n\ndebat paslon\r\n"))
    assert main(["classify", "--model", str(tiny_model_dir), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == ["amplop seratus ribu", "", "debat paslon"]


def test_summary_rows_are_numbered_from_one(tiny_model_dir, tmp_path):
    from pilkada_nlp.batch import score_file

    (tmp_path / "in.csv").write_text("id,text\n1,amplop seratus ribu coblos nomor dua\n", encoding="utf-8")
    summary = score_file(tmp_path / "in.csv", tmp_path / "out.csv", text_column="text", model=tiny_model_dir,
                         progress=False)
    assert [item["row"] for item in summary.top] == [1]
    assert "  row 1 " in summary.to_text()


def test_agreement_help_prints_help_and_exits():
    done = subprocess.run([sys.executable, "-m", "training.agreement", "--help"], capture_output=True, text=True,
                          check=False, cwd=REPO, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: ")
    assert "kappa" in done.stdout and "{" not in done.stdout


def test_info_on_the_ensemble_reads_the_manifest_only():
    """``info --model ensemble`` must not import torch or load the transformer (it took 50 s)."""
    if not (SHIPPED_DIR / "ensemble").is_dir():
        pytest.skip("the ensemble lives in the repository checkout")
    script = ("import sys; from pilkada_nlp.cli import main; assert main(['info', '--model', 'ensemble']) == 0; "
              "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'torch was imported'")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=REPO,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "members:     linear_v1 (weight 1.0), transformer (weight 1.0)" in done.stdout


@pytest.mark.parametrize("name", ["default", "ensemble", "transformer"])
def test_info_rates_carry_their_sample_size(name, capsys):
    if not (SHIPPED_DIR / name).is_dir():
        pytest.skip(f"{name} lives in the repository checkout")
    assert main(["info", "--model", name]) == 0
    out = capsys.readouterr().out
    manifest = json.loads((SHIPPED_DIR / name / "model.json").read_text(encoding="utf-8"))
    flags = manifest["metrics"]["real_test"]["flags"]
    recall = re.search(r"real_test \(([\d,]+) posts\).*?flag recall +([\d.]+) \((\d+) of (\d+) posts to flag; "
                       r"95% CI ([\d.]+)-([\d.]+)\)", out, re.DOTALL)
    assert recall, out
    n_posts, rate, hits, n, low, high = recall.groups()
    assert int(n_posts.replace(",", "")) == manifest["metrics"]["real_test"]["n"]
    assert int(n) == flags["non_benign_n"] and int(hits) == round(flags["flag_recall"] * int(n))
    assert float(low) < float(rate) < float(high)


def test_wilson_interval_is_wide_for_few_posts_and_narrow_for_many():
    from pilkada_nlp.models.info import wilson_interval

    low, high = wilson_interval(4, 11)
    assert (round(low, 3), round(high, 3)) == (0.152, 0.646)
    low, high = wilson_interval(1129, 1453)
    assert high - low < 0.05
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


def _malformed_export(path) -> None:
    """Eight good rows and, on line 9, a row with one field too many (an unquoted comma), as in the issue."""
    rows = [f"{i},amplop seratus ribu nomor {i},user{i}" for i in range(1, 8)]
    rows.append("8,debat paslon, malam ini,user8")
    rows.append('9,"surat suara\nsudah dicoblos",user9')
    path.write_text("id,text,author\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_a_row_with_an_extra_field_is_kept_and_flagged_with_its_line(tiny_model_dir, tmp_path, capsys):
    _malformed_export(tmp_path / "in.csv")
    assert main(["score", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model_dir),
                 "--quiet"]) == 0
    assert "errors: malformed row (1)" in capsys.readouterr().out
    from pilkada_nlp.io import read_table

    out = read_table(tmp_path / "out.csv")
    assert out["id"].tolist() == [str(i) for i in range(1, 10)]  # every row, in order
    bad = out[out["id"] == "8"].iloc[0]
    assert bad["error"] == "malformed row (line 9: 4 fields, the header has 3)"
    assert str(bad["label"]) in ("", "None") and str(bad["score"]) in ("", "nan")  # not scored: columns may be shifted
    assert bad["author"] == " malam ini,user8"  # nothing lost: the extra fields are joined into the last column
    assert (out.loc[out["id"] != "8", "error"] == "").all()
    assert out.loc[out["id"] == "9", "text"].item() == "surat suara\nsudah dicoblos"


def test_reading_a_whole_table_refuses_a_malformed_row(tmp_path):
    from pilkada_nlp.io import InputFileError, read_table

    _malformed_export(tmp_path / "in.csv")
    with pytest.raises(InputFileError, match=r"in.csv: malformed row \(line 9: 4 fields, the header has 3\)"):
        read_table(tmp_path / "in.csv")


def test_a_quote_left_open_at_the_end_names_its_line(tmp_path):
    from pilkada_nlp.io import InputFileError, read_table

    (tmp_path / "in.csv").write_text('id,text\n1,ok\n2,"never closed\n3,x\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="line 4: a quote is left open"):
        read_table(tmp_path / "in.csv")


def test_the_csv_reader_reads_what_pandas_reads(tmp_path):
    """The csv-module reader (which can keep malformed rows) gives pandas' frames on awkward but valid files."""
    import pandas as pd

    from pilkada_nlp.io import read_table

    text = ('id;text;x\r\n1;"a;b\r\nc";\r\n\r\n2;"say ""hi""";z\r\n3;short\r\n4;x"y;\r\n5;\'q\';"\t"\r\n'
            '6;"=1+1";\u00e9\u00e8\r\n7;lone\rcr;w\r\n')
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    expected = pd.read_csv(tmp_path / "in.csv", sep=";", dtype=object, keep_default_na=False, na_values=[],
                           encoding="utf-8-sig")
    pd.testing.assert_frame_equal(read_table(tmp_path / "in.csv"), expected)


def test_the_progress_total_counts_rows_not_lines(tmp_path):
    from pilkada_nlp.io import open_table

    posts = "".join(f'{i},"line one\nline two\nline ""three""",x\n' for i in range(50))
    (tmp_path / "in.csv").write_text("id,text,author\n" + posts, encoding="utf-8")
    assert open_table(tmp_path / "in.csv").total_rows == 50  # not 150 physical lines


def test_a_post_longer_than_the_csv_modules_default_field_limit_is_read(tmp_path):
    from pilkada_nlp.io import read_table

    long_post = "amplop " * 30_000  # 210,000 characters; the csv module's default limit is 131,072
    (tmp_path / "in.csv").write_text(f'id,text\n1,"{long_post}"\n', encoding="utf-8")
    assert read_table(tmp_path / "in.csv")["text"].tolist() == [long_post]
