"""The review side of the service: queue (review-export rules), decisions in SQLite, exports, Label Studio import,
highlighting, and the review page through the test client."""

from __future__ import annotations

import sqlite3

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from pilkada_nlp import load_model
from pilkada_nlp.batch import score_file
from pilkada_nlp.review import read_review, select_for_review
from pilkada_nlp.service.app import create_app
from pilkada_nlp.service.config import ServiceConfig
from pilkada_nlp.service.highlight import segments, spans
from pilkada_nlp.service.keys import add_key
from pilkada_nlp.service.pages import COOKIE
from tests.conftest import REPO

SAMPLE = REPO / "data" / "samples" / "patrol_sample.csv"
FLAGGED = ["Besok subuh ambil amplop 100rb di posko, asal coblos nomor 2 ya",
           "usir semua pendatang dari kampung kita mereka perusak"]
CALM = ["Selamat pagi warga, semoga sehat selalu"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    return {"path": path, "reader": add_key(path, "dashboard", "reader"), "reviewer": add_key(path, "ani", "reviewer")}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def service_client(keys: dict, database, **settings) -> TestClient:
    return TestClient(create_app(ServiceConfig(keys=keys["path"], database=database, **settings)))


@pytest.fixture
def queued(keys, tmp_path):
    """A service whose queue holds the flagged posts; returns ``(client, reviewer headers, review ids, database)``."""
    database = tmp_path / "review.sqlite3"
    client = service_client(keys, database)
    headers = auth(keys["reviewer"])
    answer = client.post("/v1/review/queue", json={"texts": FLAGGED + CALM}, headers=headers)
    assert answer.status_code == 200
    return client, headers, answer.json()["queued"], database


# -- queue and decisions ------------------------------------------------------------------------------------------
def test_flagged_posts_are_queued_and_calm_ones_are_not(queued):
    client, headers, ids, _ = queued
    posts = client.get("/v1/review/queue", headers=headers).json()["posts"]
    assert [p["review_id"] for p in posts] == ids and len(ids) == 2
    assert [p["text"] for p in posts] == FLAGGED and all(p["selection"] == "flagged" for p in posts)
    assert all(p["explanation"] for p in posts)  # stored for highlighting


def test_awkward_texts_are_queued_without_errors(keys, tmp_path):
    client = service_client(keys, tmp_path / "db.sqlite3")
    headers = auth(keys["reviewer"])
    assert client.post("/v1/review/queue", json={"texts": []}, headers=headers).json()["queued"] == []
    lone_surrogate = b'{"texts": ["\\ud800 ' + FLAGGED[0].encode() + b'"]}'
    answer = client.post("/v1/review/queue", content=lone_surrogate, headers={**headers, "content-type": "application/json"})
    assert answer.status_code == 200 and len(answer.json()["queued"]) == 1
    assert client.get("/v1/review/export/review.csv", headers=headers).status_code == 200


def test_queue_file_uses_the_review_export_selection(keys, tmp_path):
    scored = tmp_path / "scored.csv"
    score_file(SAMPLE, scored, text_column="text", progress=False)
    client = service_client(keys, tmp_path / "db.sqlite3", queue_files=(scored,), queue_uncertain=10, queue_audit=5)
    expected = select_for_review(scored, thresholds=load_model().thresholds, n_uncertain=10, n_audit=5)
    posts = client.get("/v1/review/queue?limit=100", headers=auth(keys["reviewer"])).json()["posts"]
    assert [p["text"] for p in posts] == expected["text"].tolist()
    assert [p["selection"] for p in posts] == expected["selection"].tolist()


def test_decisions_are_stored_with_reviewer_time_and_model_version(queued):
    client, headers, ids, database = queued
    stored = client.post("/v1/review/decisions", json={"review_id": ids[0], "label": "illegal_campaign"},
                         headers=headers).json()
    assert stored["reviewer"] == "ani" and stored["model_version"].startswith("default")
    client.post("/v1/review/decisions", json={"review_id": ids[1], "label": "skip"}, headers=headers)
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT review_id, label, reviewer, model_version, decided_at FROM decisions").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(ids[0], "illegal_campaign", "ani"), (ids[1], "skip", "ani")]
    assert all(r[3] == stored["model_version"] and r[4] for r in rows)
    body = client.get("/v1/review/queue", headers=headers).json()
    assert [p["review_id"] for p in body["posts"]] == [ids[1]]  # decided post gone, skipped one still there
    assert body["counts"] == {"total": 2, "decided": 1, "pending": 1}


def test_unknown_labels_and_posts_are_4xx(queued):
    client, headers, ids, _ = queued
    bad = client.post("/v1/review/decisions", json={"review_id": ids[0], "label": "spam"}, headers=headers)
    assert bad.status_code == 422 and "unknown label 'spam'" in bad.json()["error"]
    missing = client.post("/v1/review/decisions", json={"review_id": "s0", "label": "hoax"}, headers=headers)
    assert missing.status_code == 404 and "s0" in missing.json()["error"]


def test_restart_keeps_queue_and_decisions(queued, keys):
    client, headers, ids, database = queued
    client.post("/v1/review/decisions", json={"review_id": ids[0], "label": "hoax"}, headers=headers)
    again = service_client(keys, database)
    again.post("/v1/review/queue", json={"texts": FLAGGED}, headers=headers)  # re-queueing adds nothing
    body = again.get("/v1/review/queue", headers=headers).json()
    assert [p["review_id"] for p in body["posts"]] == [ids[1]]
    assert body["counts"] == {"total": 2, "decided": 1, "pending": 1}


# -- exports and Label Studio ------------------------------------------------------------------------------------
def test_review_export_is_read_by_review_import(queued, tmp_path):
    client, headers, ids, _ = queued
    client.post("/v1/review/decisions", json={"review_id": ids[0], "label": "hoax"}, headers=headers)
    answer = client.get("/v1/review/export/review.csv", headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    path = tmp_path / "review.csv"
    path.write_bytes(answer.content)
    reviewed, pending = read_review(path)
    assert pending == 1 and reviewed["review_id"].tolist() == [ids[0]]
    assert reviewed.iloc[0][["label", "annotator", "text", "source"]].tolist() == ["hoax", "ani", FLAGGED[0], "user"]


def test_review_export_goes_into_training_data(queued, tmp_path):
    """``review-import`` (training.reviews) stores the exported labels as the project's own reviewed posts."""
    pytest.importorskip("ftfy")
    from training.reviews import import_review

    client, headers, ids, _ = queued
    client.post("/v1/review/decisions", json={"review_id": ids[1], "label": "hate_speech"}, headers=headers)
    path = tmp_path / "review.csv"
    path.write_bytes(client.get("/v1/review/export/review.csv", headers=headers).content)
    counts = import_review(path, annotations_dir=tmp_path / "annotations", reviewed_dir=tmp_path / "reviewed")
    assert counts == {"reviewed": 1, "pending": 1, "pool_labels": 0, "own_posts": 1}
    stored = (tmp_path / "reviewed" / "posts.csv").read_text(encoding="utf-8")
    assert "hate_speech" in stored and "reviewed:ani" in stored


def test_label_studio_round_trip(queued):
    client, headers, ids, database = queued
    tasks = client.get("/v1/review/export/labelstudio.json", headers=headers).json()
    assert [t["data"]["review_id"] for t in tasks] == ids
    prediction = tasks[0]["predictions"][0]
    assert prediction["result"][0]["value"]["choices"] == ["illegal_campaign"]
    assert prediction["result"][0]["from_name"] == "label" and prediction["result"][0]["to_name"] == "text"
    # what Label Studio's JSON export gives back: the tasks with annotations (one cancelled, one left open)
    tasks[0]["annotations"] = [
        {"completed_by": 3, "was_cancelled": True, "result": [{"from_name": "label", "value": {"choices": ["hoax"]}}]},
        {"completed_by": {"id": 3, "email": "budi@example.org"}, "was_cancelled": False,
         "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                     "value": {"choices": ["kampanye ilegal"]}}]},
    ]
    tasks[1]["annotations"] = []
    answer = client.post("/v1/review/import/labelstudio", json=tasks, headers=headers)
    assert answer.status_code == 200 and answer.json()["imported"] == 1 and answer.json()["pending"] == 1
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT review_id, label, reviewer, origin FROM decisions").fetchall()
    assert rows == [(ids[0], "illegal_campaign", "labelstudio:budi@example.org", "label studio")]


@pytest.mark.parametrize("document, message", [
    ({"not": "a list"}, "expected a list of tasks"),
    ([{"data": {"text": "x"}, "annotations": []}], "no data.review_id"),
    ([{"data": {"review_id": "s0"}, "annotations": [{"result": [{"from_name": "label",
                                                                 "value": {"choices": ["hoax"]}}]}]}], "s0"),
])
def test_bad_label_studio_exports_are_422_and_store_nothing(queued, document, message):
    client, headers, ids, database = queued
    answer = client.post("/v1/review/import/labelstudio", json=document, headers=headers)
    assert answer.status_code == 422 and message in answer.json()["error"]
    unknown = [{"data": {"review_id": ids[0]}, "annotations": [{"result": [{"from_name": "label",
                                                                             "value": {"choices": ["spam"]}}]}]}]
    assert "unknown gold_label 'spam'" in client.post("/v1/review/import/labelstudio", json=unknown,
                                                      headers=headers).json()["error"]
    assert client.post("/v1/review/import/labelstudio", content=b"{nope", headers=headers).status_code == 400
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM decisions").fetchone() == (0,)


# -- highlighting -----------------------------------------------------------------------------------------------------
def test_spans_find_explanation_words_case_insensitively_as_whole_words():
    text = "BESOK subuh ambil  Amplop di posko; amplop lagi. Besoknya tidak."
    found = spans(text, [("amplop", 0.5), ("besok", 0.4), ("ambil amplop", 0.3), ("tidak ada", 0.2)])
    assert [text[s:e] for s, e, _ in found] == ["BESOK", "Amplop", "amplop"]  # "ambil amplop" overlaps a stronger one
    assert spans(text, [("ambil amplop", 0.9)])[0][:2] == (12, 25)  # runs of spaces inside an n-gram match
    pieces = segments(text, [("posko", 0.3)])
    assert "".join(piece for piece, _ in pieces) == text and ("posko", 0.3) in pieces


# -- the page through the test client ---------------------------------------------------------------------------------
def test_page_needs_a_reviewer_key_and_records_decisions(queued, keys):
    client, headers, ids, database = queued
    client.post("/v1/review/queue", json={"texts": ["<script>alert(1)</script> " + FLAGGED[0]]},
                headers=headers)
    assert client.get("/review").status_code == 401 and "Sign in" in client.get("/review").text
    refused = client.post("/review/login", data={"key": keys["reader"]})
    assert refused.status_code == 403 and "reviewer key" in refused.text
    assert client.post("/review/login", data={"key": "pk_wrong"}).status_code == 401
    signed = client.post("/review/login", data={"key": keys["reviewer"]}, follow_redirects=False)
    assert signed.status_code == 303 and COOKIE in signed.cookies
    page = client.get("/review")
    assert page.status_code == 200 and f'data-review-id="{ids[0]}"' in page.text and "<mark" in page.text
    decided = client.post("/review/decide", data={"review_id": ids[0], "label": "hoax"}, follow_redirects=False)
    assert decided.status_code == 303
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT label, reviewer FROM decisions").fetchall() == [("hoax", "ani")]
    client.post("/review/decide", data={"review_id": ids[1], "label": "benign"})
    page = client.get("/review").text
    assert "&lt;script&gt;" in page and "<script>alert" not in page  # post text is escaped
    assert client.post("/review/decide", data={"review_id": ids[1], "label": "spam"}).status_code == 422
    client.post("/review/logout")
    assert client.get("/review").status_code == 401


def test_static_assets_are_package_data_and_local(queued):
    client = queued[0]
    css = client.get("/review/static/review.css")
    assert css.status_code == 200 and "http" not in css.text
    assert client.get("/review/static/review.js").status_code == 200
