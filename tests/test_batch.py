"""Batch scoring of DataFrames and files: rows and order kept, bad rows marked, formats, encodings, resume, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pilkada_nlp import io, load_model
from pilkada_nlp.batch import OUTPUT_COLUMNS, ColumnError, score_dataframe, score_file, work_dir_for
from pilkada_nlp.labels import LABELS
from pilkada_nlp.models import Classifier
from tests.conftest import REPO

pytest.importorskip("pyarrow")
pytest.importorskip("openpyxl")

FORMATS = ["csv", "tsv", "xlsx", "parquet", "jsonl"]
BAD_TEXTS = {"P0003": "", "P0007": "   ", "P0011": None}


@pytest.fixture(scope="module")
def model(tiny_model_dir) -> Classifier:
    return load_model(tiny_model_dir)


@pytest.fixture(scope="module")
def posts() -> pd.DataFrame:
    """60 authored posts in mixed registers with bad rows mixed in; every column text, as a monitoring export."""
    authored = pd.read_csv(REPO / "data" / "authored" / "hard_negatives_part1.csv", dtype=str, keep_default_na=False)
    frame = pd.DataFrame({
        "post_id": [f"P{i:04d}" for i in range(60)],
        "platform": [("facebook", "x", "tiktok")[i % 3] for i in range(60)],
        "text": authored["text"].iloc[:60].tolist(),
    })
    for post_id, text in BAD_TEXTS.items():
        frame.loc[frame["post_id"] == post_id, "text"] = text
    return frame


def write_input(frame: pd.DataFrame, path) -> None:
    """Write an input file with pandas itself, independently of pilkada_nlp.io."""
    fmt = path.suffix[1:]
    if fmt in ("csv", "tsv"):
        frame.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)


def read_output(path) -> pd.DataFrame:
    """Read an output file with pandas itself; text cells as str, missing as ''."""
    fmt = path.suffix[1:]
    if fmt in ("csv", "tsv"):
        frame = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False)
    elif fmt == "xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    elif fmt == "parquet":
        frame = pd.read_parquet(path)
    else:
        frame = pd.read_json(path, lines=True, dtype=False)
    return frame


def missing_as_empty(values) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v) for v in values]


# --- DataFrames --------------------------------------------------------------------------------------------------


def test_dataframe_keeps_every_row_in_order_and_marks_bad_ones(model):
    texts = ["amplop seratus ribu asal coblos nomor dua", None, float("nan"), 5, b"bytes", "", "  \n",
             "bad \udcff bytes", "debat paslon malam ini membahas stunting", pd.NA]
    frame = pd.DataFrame({"id": range(len(texts)), "text": texts}, index=[f"r{i}" for i in range(len(texts))])
    out = score_dataframe(frame, "text", model=model)
    assert list(out.columns) == ["id", "text", *OUTPUT_COLUMNS]
    assert list(out.index) == list(frame.index) and out["id"].tolist() == list(range(len(texts)))
    assert out["error"].tolist() == [
        None, "missing text", "missing text", "not text (int)", "not text (bytes)", "empty text", "empty text",
        "undecodable bytes in text (wrong --encoding?)", None, "missing text",
    ]
    ok = out["error"].isna()
    assert out.loc[ok, "label"].isin(LABELS).all()
    assert np.allclose(out.loc[ok, [f"score_{label}" for label in LABELS]].sum(axis=1), 1.0)
    assert out.loc[~ok, "score"].isna().all()
    empty = out["error"].isin(["empty text", "missing text"])  # classify's result for empty text: benign, unscored
    assert (out.loc[empty, "label"] == "benign").all() and (out.loc[empty, "flags"] == "").all()
    assert out.loc[~ok & ~empty, ["label", "flags"]].isna().all().all()


def test_dataframe_scores_equal_classify(model, posts):
    out = score_dataframe(posts, "text", model=model)
    ok = out["error"].isna()
    predictions = model.classify(posts.loc[ok, "text"].tolist())
    assert out.loc[ok, "label"].tolist() == [p.label for p in predictions]
    assert out.loc[ok, "score"].tolist() == [p.score for p in predictions]
    assert out.loc[ok, "flags"].tolist() == [";".join(p.flags) for p in predictions]


def test_input_columns_named_like_outputs_are_kept_renamed(model):
    frame = pd.DataFrame({"text": ["debat paslon malam ini"], "label": ["gold"], "error": ["x"]})
    out = score_dataframe(frame, "text", model=model)
    assert list(out.columns) == ["text", "input_label", "input_error", *OUTPUT_COLUMNS]
    assert out["input_label"].tolist() == ["gold"]


def test_missing_text_column_names_the_existing_ones(model, posts, tmp_path):
    with pytest.raises(ColumnError, match="'body' not found; the columns are: post_id, platform, text"):
        score_dataframe(posts, "body", model=model)
    write_input(posts, tmp_path / "in.csv")
    with pytest.raises(KeyError, match="post_id, platform, text"):
        score_file(tmp_path / "in.csv", tmp_path / "out.csv", text_column="body", model=model, progress=False)


# --- formats -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dst_fmt", FORMATS)
@pytest.mark.parametrize("src_fmt", FORMATS)
def test_every_format_round_trips(model, posts, tmp_path, src_fmt, dst_fmt):
    src, dst = tmp_path / f"in.{src_fmt}", tmp_path / f"out.{dst_fmt}"
    write_input(posts, src)
    summary = score_file(src, dst, text_column="text", model=model, chunksize=16, progress=False)
    out = read_output(dst)
    assert list(out.columns) == ["post_id", "platform", "text", *OUTPUT_COLUMNS]
    assert summary.rows == len(out) == len(posts)
    assert out["post_id"].tolist() == posts["post_id"].tolist()
    escaped = [io.escape_formula(t) for t in posts["text"]] if dst_fmt in ("csv", "tsv") else posts["text"]
    assert missing_as_empty(out["text"]) == missing_as_empty(escaped)  # '@handle ...' gets its OWASP ' in CSV
    reference = score_dataframe(posts, "text", model=model)
    assert missing_as_empty(out["label"]) == missing_as_empty(reference["label"])
    scores = pd.to_numeric(pd.Series(missing_as_empty(out["score"])).replace("", np.nan))
    assert np.allclose(scores, reference["score"], equal_nan=True, rtol=0, atol=1e-12)
    errors = dict(zip(out["post_id"], missing_as_empty(out["error"])))
    assert {k for k, v in errors.items() if v} == set(BAD_TEXTS)
    assert not work_dir_for(dst).exists()


def test_header_only_file_gives_header_only_output(model, tmp_path):
    (tmp_path / "in.csv").write_text("id,text\n", encoding="utf-8")
    summary = score_file(tmp_path / "in.csv", tmp_path / "out.csv", text_column="text", model=model, progress=False)
    assert summary.rows == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").strip() == ",".join(["id", "text", *OUTPUT_COLUMNS])


# --- encodings and delimiters -------------------------------------------------------------------------------------

ACCENTED = ["Kafé “Bu Ratna” buka posko… coblos nomor dua", "déjà vu: amplop lagi, ’kan?", "biasa saja"]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16", "utf-8"])
def test_text_encodings_are_detected(model, tmp_path, encoding):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": ["a", "b", "c"], "text": ACCENTED}).to_csv(src, index=False, encoding=encoding)
    assert io.open_table(src).encoding == encoding
    score_file(src, tmp_path / "out.csv", text_column="text", model=model, progress=False)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(out.columns[:2]) == ["id", "text"]  # no BOM glued to the first column name
    assert out["text"].tolist() == ACCENTED and (out["error"] == "").all()


def test_encoding_can_be_given(model, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes("id,text\n1,caf\xe9 amplop\n".encode("latin-1"))
    score_file(src, tmp_path / "out.csv", text_column="text", model=model, progress=False, encoding="latin-1")
    assert pd.read_csv(tmp_path / "out.csv")["text"].tolist() == ["café amplop"]
    with pytest.raises(io.InputFileError, match="unknown encoding"):
        score_file(src, tmp_path / "out.csv", text_column="text", model=model, encoding="klingon")


def test_broken_bytes_in_utf8_file_are_one_rows_error(model, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes("id,text\n1,Kafé amplop 🙏\n".encode() + b"2,rusak \xff\xfe di sini\n3,biasa\n")
    score_file(src, tmp_path / "out.csv", text_column="text", model=model, progress=False)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False, encoding="utf-8")  # valid UTF-8
    assert out["error"].tolist() == ["", "undecodable bytes in text (wrong --encoding?)", ""]
    assert out["text"].tolist() == ["Kafé amplop 🙏", "rusak \ufffd\ufffd di sini", "biasa"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_detected(model, tmp_path, delimiter):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2], "text": ["a, b; c | d", "amplop"]}).to_csv(src, index=False, sep=delimiter)
    score_file(src, tmp_path / "out.csv", text_column="text", model=model, progress=False)
    assert pd.read_csv(tmp_path / "out.csv")["text"].tolist() == ["a, b; c | d", "amplop"]


# --- resume and atomic output -------------------------------------------------------------------------------------


class Interrupting(Classifier):
    """The tiny model, interrupted (as by Ctrl-C) on its ``fail_on``-th call to ``classify``."""

    def __init__(self, model: Classifier, fail_on: int) -> None:
        super().__init__(model.backend, model.metadata, model.path)
        self.calls, self.fail_on = 0, fail_on

    def classify(self, texts, **kwargs):
        self.calls += 1
        if self.calls == self.fail_on:
            raise KeyboardInterrupt
        return super().classify(texts, **kwargs)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "jsonl"])
def test_resumed_run_is_byte_identical_to_uninterrupted(model, posts, tmp_path, fmt):
    src = tmp_path / "in.csv"
    write_input(posts, src)
    whole, resumed = tmp_path / f"whole.{fmt}", tmp_path / f"resumed.{fmt}"
    score_file(src, whole, text_column="text", model=model, chunksize=7, progress=False)

    with pytest.raises(KeyboardInterrupt):
        score_file(src, resumed, text_column="text", model=Interrupting(model, fail_on=4), chunksize=7, progress=False)
    assert not resumed.exists()  # atomic: no half-written output
    state = json.loads((work_dir_for(resumed) / "state.json").read_text())
    assert (state["parts"], state["rows"]) == (3, 21)

    counting = Interrupting(model, fail_on=0)
    summary = score_file(src, resumed, text_column="text", model=counting, chunksize=7, resume=True, progress=False)
    assert counting.calls == 6  # 9 chunks, 3 already done
    assert resumed.read_bytes() == whole.read_bytes()
    assert summary.rows == len(posts) and not work_dir_for(resumed).exists()


def test_resume_refuses_changed_settings_and_fresh_run_discards_partial(model, posts, tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    write_input(posts, src)
    with pytest.raises(KeyboardInterrupt):
        score_file(src, dst, text_column="text", model=Interrupting(model, 2), chunksize=10, progress=False)
    with pytest.raises(ValueError, match="cannot resume: chunksize changed"):
        score_file(src, dst, text_column="text", model=model, chunksize=20, resume=True, progress=False)
    score_file(src, dst, text_column="text", model=model, chunksize=20, progress=False)  # no --resume: starts over
    assert len(pd.read_csv(dst)) == len(posts)


def test_failed_run_leaves_no_output(model, tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = "".join(f"{i},post {i}\n" for i in range(30))
    src.write_text("id,text\n" + rows + '30,"cut off in a quo', encoding="utf-8")
    with pytest.raises(io.InputFileError, match="truncated or corrupt"):
        score_file(src, dst, text_column="text", model=model, chunksize=10, progress=False)
    assert not dst.exists()


# --- bad files ------------------------------------------------------------------------------------------------------


def test_missing_and_empty_files(model, tmp_path):
    with pytest.raises(FileNotFoundError, match="input file not found"):
        score_file(tmp_path / "nope.csv", tmp_path / "out.csv", text_column="text", model=model)
    for name in ("empty.csv", "empty.jsonl", "empty.parquet", "empty.xlsx"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(io.InputFileError, match="the file is empty"):
            score_file(tmp_path / name, tmp_path / "out.csv", text_column="text", model=model)
    (tmp_path / "blank.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(io.InputFileError, match="header"):
        score_file(tmp_path / "blank.csv", tmp_path / "out.csv", text_column="text", model=model)


@pytest.mark.parametrize("fmt", ["parquet", "xlsx", "jsonl"])
def test_truncated_files_give_one_line_errors(model, posts, tmp_path, fmt):
    whole = tmp_path / f"whole.{fmt}"
    write_input(posts, whole)
    cut = tmp_path / f"cut.{fmt}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(io.InputFileError) as caught:
        score_file(cut, tmp_path / "out.csv", text_column="text", model=model, progress=False)
    assert "\n" not in str(caught.value) and ("truncated" in str(caught.value))


def test_unsupported_extensions_and_overwriting_the_input(model, posts, tmp_path):
    write_input(posts, tmp_path / "in.csv")
    with pytest.raises(io.InputFileError, match="unsupported file type '.docx'"):
        score_file(tmp_path / "in.csv", tmp_path / "out.docx", text_column="text", model=model)
    with pytest.raises(io.InputFileError, match="overwrite the input"):
        score_file(tmp_path / "in.csv", tmp_path / "in.csv", text_column="text", model=model)


def test_worker_processes_give_byte_identical_output(model, posts, tmp_path):
    src = tmp_path / "in.csv"
    write_input(posts, src)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    first = score_file(src, one, text_column="text", model=model, chunksize=9, progress=False)
    second = score_file(src, two, text_column="text", model=model, chunksize=9, progress=False, jobs=2)
    assert one.read_bytes() == two.read_bytes() and first == second


def test_spreadsheet_cells_that_are_not_text_are_errors_and_trailing_blank_rows_are_not_rows(model, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["id", "isi", None], [1, "amplop seratus ribu coblos nomor dua"], ["A2", 2024], [3, None],
                [None, None], [5, "debat paslon malam ini"], [None, None], [None, None]):
        sheet.append(row)
    workbook.save(tmp_path / "in.xlsx")
    score_file(tmp_path / "in.xlsx", tmp_path / "out.csv", text_column="isi", model=model, progress=False)
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert out["id"].tolist() == ["1", "A2", "3", "", "5"]  # a blank row between rows is kept, trailing ones are not
    assert out["error"].tolist() == ["", "not text (int)", "missing text", "missing text", ""]
