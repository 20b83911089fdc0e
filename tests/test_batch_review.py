"""Review queue: export of uncertain and audit posts, validation of a filled-in file, import into the project's data."""

from __future__ import annotations

from functools import partial

import pandas as pd
import pytest

from pilkada_nlp import load_model
from pilkada_nlp.batch import score_file
from pilkada_nlp.cli import main
from pilkada_nlp.labels import FLAG_LABELS, LABELS
from pilkada_nlp.review import ReviewFileError, export_review, parse_label, read_review
from tests.conftest import REPO

pytest.importorskip("pyarrow")
pytest.importorskip("ftfy")
from training import project_data, reviews
from training.sources import POOL_SOURCES
from training.sources.common import row_key

SAMPLE = REPO / "data" / "samples" / "patrol_sample.csv"
POOL = min(POOL_SOURCES)


@pytest.fixture(scope="module")
def scored(tiny_model_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("scored") / "scored.csv"
    score_file(SAMPLE, path, text_column="text", model=tiny_model_dir, progress=False)
    return path


def test_export_picks_uncertain_posts_then_an_audit_sample(tiny_model_dir, scored, tmp_path):
    model = load_model(tiny_model_dir)
    queue = export_review(scored, tmp_path / "review.csv", model=model, n_uncertain=15, n_audit=10, margin=0.2,
                          id_column="post_id")
    written = pd.read_csv(tmp_path / "review.csv", dtype=str, keep_default_na=False)
    assert len(written) == len(queue) and (written["gold_label"] == "").all()
    assert list(written.columns[:6]) == ["review_id", "selection", "reason", "row", "post_id", "source"]
    assert written["review_id"].is_unique and set(written["source"]) == {"user"}
    out = pd.read_csv(scored, dtype=str, keep_default_na=False)
    uncertain = written[written["selection"] == "uncertain"]
    gaps = [min(abs(float(out.iloc[int(r) - 1][f"score_{label}"]) - model.thresholds[label]) for label in FLAG_LABELS)
            for r in uncertain["row"]]
    assert 0 < len(uncertain) <= 15 and all(g <= 0.2 for g in gaps) and gaps == sorted(gaps)
    audit = written[written["selection"] == "audit"]
    assert len(audit) == 10 and not set(audit["row"]) & set(uncertain["row"])
    picked = out.iloc[written["row"].astype(int) - 1]  # rows are numbered from 1
    assert (picked["error"] == "").all()  # rows that could not be scored are never queued
    assert picked["post_id"].tolist() == written["post_id"].tolist()
    assert written["text"].tolist() == picked["text"].tolist()
    again = export_review(scored, tmp_path / "again.csv", model=model, n_uncertain=15, n_audit=10, margin=0.2)
    assert again["row"].tolist() == queue["row"].tolist()  # seeded


def test_export_needs_a_scored_file(tiny_model_dir, tmp_path):
    with pytest.raises(ReviewFileError, match="not a scored file"):
        export_review(SAMPLE, tmp_path / "review.csv", model=tiny_model_dir)


def test_review_commands_round_trip(tiny_model_dir, scored, tmp_path, capsys, monkeypatch):
    review_file = tmp_path / "review.csv"
    assert main(["review-export", str(scored), "-o", str(review_file), "--model", str(tiny_model_dir),
                 "--uncertain", "5", "--audit", "5"]) == 0
    assert "posts to review" in capsys.readouterr().out
    filled = pd.read_csv(review_file, dtype=str, keep_default_na=False)
    filled.loc[:3, "gold_label"] = ["hoax", "Ujaran Kebencian", "benign", "illegal campaign"]
    filled.to_csv(review_file, index=False)
    annotations, reviewed = tmp_path / "annotations", tmp_path / "reviewed"
    monkeypatch.setattr(reviews, "import_review",
                        partial(reviews.import_review, annotations_dir=annotations, reviewed_dir=reviewed))
    assert main(["review-import", str(review_file), "--annotator", "tester", "--data-dir", str(tmp_path / "none")]) == 0
    assert "4 reviewed rows" in capsys.readouterr().out
    posts = project_data.load_reviewed(reviewed)
    assert posts["label"].tolist() == ["hoax", "hate_speech", "benign", "illegal_campaign"]


def test_labels_are_parsed_leniently_but_strictly():
    assert [parse_label(v) for v in ("hoax", " HOAKS ", "kampanye ilegal", "hate speech", "Netral", "", None)] == [
        "hoax", "hoax", "illegal_campaign", "hate_speech", "benign", None, None]
    with pytest.raises(ValueError, match="unknown gold_label 'spam'"):
        parse_label("spam")


def review_file(tmp_path, rows: list[dict]) -> str:
    columns = ["review_id", "selection", "source", "row_key", "text", "label", "gold_label", "gold_subtype",
               "uncertain", "annotator"]
    path = tmp_path / "filled.csv"
    pd.DataFrame(rows, columns=columns, dtype=object).fillna("").to_csv(path, index=False)
    return str(path)


def test_validation_reports_every_problem_in_one_line(tmp_path):
    path = review_file(tmp_path, [
        {"review_id": "r1", "text": "a", "gold_label": "spam", "annotator": "x"},
        {"review_id": "", "text": "b", "gold_label": "hoax", "annotator": "x"},
        {"review_id": "r3", "text": "c", "gold_label": "hoax", "annotator": "x"},
        {"review_id": "r3", "text": "d", "gold_label": "benign"},
        {"review_id": "r5", "text": "e", "gold_label": "benign", "annotator": "x", "uncertain": "maybe"},
    ])
    with pytest.raises(ReviewFileError) as caught:
        read_review(path)
    message = str(caught.value)
    assert "\n" not in message and "5 problem(s)" in message
    for part in ("row 2: missing review_id", "review_id r3 appears 2 times", "unknown gold_label 'spam'",
                 "review_id r3: no annotator", "uncertain must be true/false"):
        assert part in message
    with pytest.raises(ReviewFileError, match="missing columns gold_label"):
        pd.DataFrame({"review_id": ["r1"], "text": ["a"]}).to_csv(tmp_path / "bare.csv", index=False)
        read_review(tmp_path / "bare.csv")


def test_import_stores_pool_labels_stand_off_and_own_posts_with_text(tmp_path):
    raw = "  Teks asli dari pool, dengan spasi  "
    path = review_file(tmp_path, [
        {"review_id": "r1", "selection": "uncertain", "source": POOL, "text": raw, "gold_label": "hoax",
         "annotator": "ani", "uncertain": "yes"},
        {"review_id": "r2", "selection": "audit", "source": "user", "text": "cek @budi_99 https://x.co/a amplop",
         "gold_label": "illegal_campaign", "gold_subtype": "vote_buying"},
        {"review_id": "r3", "selection": "audit", "source": "user", "text": "belum dicek", "gold_label": ""},
    ])
    annotations, reviewed = tmp_path / "annotations", tmp_path / "reviewed"
    counts = reviews.import_review(path, annotator="budi", annotations_dir=annotations, reviewed_dir=reviewed)
    assert counts == {"reviewed": 2, "pending": 1, "pool_labels": 1, "own_posts": 1}

    stand_off = project_data.read_annotations(annotations)
    assert list(stand_off.columns) == project_data.ANNOTATION_COLUMNS
    assert stand_off.iloc[0].to_dict() == {
        "source": POOL, "row_key": row_key(raw), "label": "hoax", "subtype": "", "annotator": "ani",
        "pass": "review", "selection": "review-uncertain", "uncertain": "True"}
    assert "Teks asli" not in (annotations / "reviewed.csv").read_text(encoding="utf-8")  # licensed text stays out

    posts = project_data.load_reviewed(reviewed)
    assert posts[["label", "source", "subtype", "origin"]].iloc[0].tolist() == [
        "illegal_campaign", "reviewed", "vote_buying", "annotated:review"]
    assert posts["text"].iloc[0] == "cek @USER HTTPURL amplop"  # personal identifiers masked
    assert set(posts.columns) >= {"text", "label", "source", "row_key", "subtype"}

    again = reviews.import_review(path, annotator="budi", annotations_dir=annotations, reviewed_dir=reviewed)
    assert again["pool_labels"] == again["own_posts"] == 0  # idempotent
    assert len(project_data.read_annotations(annotations)) == 1 and len(project_data.load_reviewed(reviewed)) == 1


def test_import_checks_pool_keys_against_the_data_dir(tmp_path, monkeypatch):
    path = review_file(tmp_path, [{"review_id": "r1", "source": POOL, "text": "tidak ada di pool", "gold_label": "hoax",
                                   "annotator": "ani"}])
    monkeypatch.setitem(reviews.LOADERS, POOL, lambda data_dir: pd.DataFrame({"row_key": [row_key("lain")]}))
    (tmp_path / "data").mkdir()
    with pytest.raises(project_data.AnnotationError, match="match no post of that pool"):
        reviews.import_review(path, annotations_dir=tmp_path / "a", reviewed_dir=tmp_path / "r",
                              data_dir=tmp_path / "data")
    assert not (tmp_path / "a").exists()


def test_corpus_builder_collects_reviewed_posts(tmp_path, monkeypatch):
    from training import build_corpus
    from training.sources.common import COLUMNS, frame

    path = review_file(tmp_path, [{"review_id": "r1", "source": "user", "text": "posko bagi beras, pilih nomor 3",
                                   "gold_label": "illegal_campaign", "annotator": "ani"}])
    reviews.import_review(path, annotations_dir=tmp_path / "a", reviewed_dir=tmp_path / "reviewed")
    monkeypatch.setattr(build_corpus, "LOADERS", {"public": lambda d: frame(["teks publik"], ["benign"], "public")})
    monkeypatch.setattr(build_corpus, "load_all", lambda d, names: pd.DataFrame(columns=COLUMNS))
    monkeypatch.setattr(build_corpus, "read_annotations", lambda: pd.DataFrame(columns=project_data.ANNOTATION_COLUMNS))
    monkeypatch.setattr(build_corpus, "load_reviewed", lambda: project_data.load_reviewed(tmp_path / "reviewed"))
    rows = build_corpus.collect(build_corpus.CorpusConfig(data_dir=str(tmp_path)))
    mine = rows[rows["source"] == "reviewed"]
    assert mine[["text", "label", "origin", "priority"]].values.tolist() == [
        ["posko bagi beras, pilih nomor 3", "illegal_campaign", "annotated:review", 0]]
    assert set(LABELS) >= set(project_data.load_reviewed()["label"])  # the repository's own file, if any, is valid
