"""The patrol service's JSON API through FastAPI's test client: shapes, access, limits and bad input.

Every test uses the shipped default (linear) model, loaded once per process; nothing here measures time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

import pilkada_nlp
from pilkada_nlp.cli import main
from pilkada_nlp.labels import LABELS
from pilkada_nlp.service.app import create_app
from pilkada_nlp.service.coalesce import Coalescer
from pilkada_nlp.service.config import ServiceConfig
from pilkada_nlp.service.keys import KeyFileError, KeyStore, add_key

POSTS = ["Besok subuh ambil amplop 100rb di posko, asal coblos nomor 2 ya",
         "Bawaslu menerima laporan dugaan politik uang di Kecamatan Kota Baru",
         "usir semua pendatang dari kampung kita mereka perusak"]
PREDICTION_FIELDS = {"label", "score", "scores", "flags", "explanation", "warning", "highlights", "matches"}


class Clock:
    """A settable clock for the rate limiter: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    return {"path": path, "reader": add_key(path, "dashboard", "reader"), "reviewer": add_key(path, "ani", "reviewer")}


def make_client(keys: dict, tmp_path, clock: Clock | None = None, **settings) -> TestClient:
    config = ServiceConfig(keys=keys["path"], database=tmp_path / "review.sqlite3", **settings)
    return TestClient(create_app(config, **({"clock": clock} if clock else {})))


@pytest.fixture(scope="module")
def client(keys, tmp_path_factory) -> TestClient:
    return make_client(keys, tmp_path_factory.mktemp("service"))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def reader(keys) -> dict[str, str]:
    return auth(keys["reader"])


# -- shapes -------------------------------------------------------------------------------------------------------
def test_healthz_is_open(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_classify_one_text_gives_a_list_of_one_prediction(client, reader):
    answer = client.post("/v1/classify", json={"texts": POSTS[0]}, headers=reader)
    assert answer.status_code == 200
    body = answer.json()
    expected = pilkada_nlp.classify(POSTS[0]).to_dict()
    assert body["model"].startswith("default") and len(body["results"]) == 1
    result = body["results"][0]
    assert set(result) == PREDICTION_FIELDS and result["explanation"] is None
    assert result["label"] == expected["label"] and result["scores"] == pytest.approx(expected["scores"])


def test_classify_a_list_keeps_order_and_explains_on_request(client, reader):
    answer = client.post("/v1/classify", json={"texts": POSTS, "explain": True}, headers=reader)
    results = answer.json()["results"]
    expected = pilkada_nlp.classify(POSTS, explain=True)
    assert [r["label"] for r in results] == [p.label for p in expected]
    assert [[tuple(pair) for pair in r["explanation"]] for r in results] == [
        [(w, pytest.approx(v)) for w, v in p.explanation] for p in expected]


def test_score_streams_one_json_line_per_text_in_order(client, reader):
    texts = [POSTS[i % 3] + f" {i}" for i in range(2500)]  # more than one stream chunk
    answer = client.post("/v1/score", json={"texts": texts}, headers=reader)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [line["index"] for line in lines] == list(range(len(texts)))
    expected = pilkada_nlp.classify(texts)
    assert [line["label"] for line in lines] == [p.label for p in expected]
    assert set(lines[0]) == PREDICTION_FIELDS | {"index"}


def test_model_summary_has_labels_thresholds_and_version(client, reader):
    body = client.get("/v1/model", headers=reader).json()
    model = pilkada_nlp.load_model()
    assert body["labels"] == list(LABELS) and body["thresholds"] == model.thresholds
    assert body["package_version"] == pilkada_nlp.__version__ and body["name"] == "default"
    assert body["training_data"]["fingerprint"] == model.metadata["training_data"]["fingerprint"]


def test_metrics_are_prometheus_text(client, reader):
    client.post("/v1/classify", json={"texts": POSTS}, headers=reader)
    answer = client.get("/metrics", headers=reader)
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = answer.text
    assert 'pilkada_requests_total{method="POST",path="/v1/classify",status="200"}' in text
    assert 'pilkada_request_duration_seconds_bucket{path="/v1/classify",le="+Inf"}' in text
    assert "# TYPE pilkada_request_duration_seconds histogram" in text
    flagged = {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.startswith("pilkada_flags")}
    assert set(flagged) == {f'pilkada_flags_total{{label="{label}"}}' for label in LABELS if label != "benign"}
    assert sum(flagged.values()) >= 2


def test_openapi_docs_are_served_without_a_cdn(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn" not in docs.text.lower()
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/classify", "/v1/score", "/v1/model", "/healthz", "/metrics"} <= set(paths)


def test_one_post_requests_that_arrive_while_the_model_is_busy_share_one_call():
    calls: list[list[str]] = []
    release = threading.Event()

    def classify(texts: list[str]) -> list[str]:
        calls.append(list(texts))
        if len(calls) == 1:
            release.wait(10)  # hold the first call until the others have queued
        if "boom" in texts:
            raise RuntimeError("model failed")
        return [f"prediction of {t}" for t in texts]

    async def scenario():
        coalescer = Coalescer(classify, ThreadPoolExecutor(2))
        first = asyncio.ensure_future(coalescer.classify("a"))
        await asyncio.sleep(0)  # "a" finds the model idle and goes alone
        others = [asyncio.ensure_future(coalescer.classify(t)) for t in ("b", "c", "d")]
        await asyncio.sleep(0)
        release.set()
        results = await first, await asyncio.gather(*others)
        failed = await asyncio.gather(coalescer.classify("boom"), return_exceptions=True)
        return results, failed

    (first, others), failed = asyncio.run(scenario())
    assert calls == [["a"], ["b", "c", "d"], ["boom"]]
    assert first == "prediction of a" and others == ["prediction of b", "prediction of c", "prediction of d"]
    assert isinstance(failed[0], RuntimeError)


# -- access ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer pk_not-a-key"}, {"Authorization": "Basic abc"}])
def test_requests_without_a_valid_key_get_401(client, headers):
    for method, path in [("post", "/v1/classify"), ("post", "/v1/score"), ("get", "/v1/model"), ("get", "/metrics"),
                         ("get", "/v1/review/queue")]:
        extra = {"json": {"texts": ["x"]}} if method == "post" else {}
        answer = getattr(client, method)(path, headers=headers, **extra)
        assert answer.status_code == 401, path
        assert "API key" in answer.json()["error"]


def test_a_reader_key_cannot_use_review_endpoints(client, reader, keys):
    answer = client.get("/v1/review/queue", headers=reader)
    assert answer.status_code == 403 and "reviewer" in answer.json()["error"]
    assert client.post("/v1/classify", json={"texts": "x"}, headers=auth(keys["reviewer"])).status_code == 200


def test_rate_limit_is_per_key_and_refills(keys, tmp_path):
    clock = Clock()
    client = make_client(keys, tmp_path, rate_per_second=1.0, rate_burst=2, clock=clock)
    ok = [client.get("/v1/model", headers=auth(keys["reader"])).status_code for _ in range(2)]
    refused = client.get("/v1/model", headers=auth(keys["reader"]))
    assert ok == [200, 200] and refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "rate limit" in refused.json()["error"]
    assert client.get("/v1/model", headers=auth(keys["reviewer"])).status_code == 200  # another key's bucket
    clock.now += 1.0
    assert client.get("/v1/model", headers=auth(keys["reader"])).status_code == 200


def test_keys_file_holds_hashes_only(keys):
    stored = keys["path"].read_text()
    assert keys["reader"] not in stored and keys["reviewer"] not in stored
    assert KeyStore(keys["path"]).lookup(keys["reader"]).role == "reader"
    with pytest.raises(KeyFileError, match="exists already"):
        add_key(keys["path"], "ani", "reader")
    with pytest.raises(KeyFileError, match="unknown role"):
        add_key(keys["path"], "bob", "admin")


def test_cli_add_key_prints_only_the_key(tmp_path, capsys):
    assert main(["serve", "add-key", "bob", "--role", "reviewer", "--keys", str(tmp_path / "k.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and KeyStore(tmp_path / "k.json").lookup(out[0]).name == "bob"
    with pytest.raises(SystemExit) as exit_info:
        main(["serve"])
    assert exit_info.value.code == 2
    assert "--keys" in capsys.readouterr().err


# -- limits and bad input ----------------------------------------------------------------------------------------
def test_too_many_texts_is_413(keys, tmp_path):
    client = make_client(keys, tmp_path, max_classify_texts=2, max_score_texts=3)
    for path, n in (("/v1/classify", 3), ("/v1/score", 4)):
        answer = client.post(path, json={"texts": ["a"] * n}, headers=auth(keys["reader"]))
        assert answer.status_code == 413 and "at most" in answer.json()["error"]


def test_oversize_body_is_413_with_or_without_content_length(keys, tmp_path):
    client = make_client(keys, tmp_path, max_body_bytes=1000)
    body = json.dumps({"texts": "x" * 2000}).encode()
    answer = client.post("/v1/classify", content=body, headers={**auth(keys["reader"]),
                                                                 "content-type": "application/json"})
    assert answer.status_code == 413 and "1,000 bytes" in answer.json()["error"]
    chunked = client.post("/v1/classify", content=iter([body[:600], body[600:]]),
                          headers={**auth(keys["reader"]), "content-type": "application/json"})
    assert chunked.status_code == 413 and "error" in chunked.json()


def test_a_one_megabyte_text_is_classified_with_a_truncation_warning(client, reader):
    answer = client.post("/v1/classify", json={"texts": "amplop coblos " * 75_000}, headers=reader)
    assert answer.status_code == 200
    assert "truncated" in answer.json()["results"][0]["warning"]


def test_a_lone_surrogate_is_replaced_with_a_warning(client, reader):
    answer = client.post("/v1/classify", content=b'{"texts": "amplop \\ud800 coblos"}',
                         headers={**reader, "content-type": "application/json"})
    assert answer.status_code == 200 and answer.json()["results"][0]["warning"] == "invalid characters replaced"


@pytest.mark.parametrize("body, status, message", [
    (b'{"texts": "unclosed', 400, "not valid JSON"),
    (b'{"texts": "\xff\xfe bad bytes"}', 400, "not UTF-8"),
    (b"[1, 2]", 422, "body"),
    (b"{}", 422, "texts: required field missing"),
    (b'{"texts": 5}', 422, "texts: Input should be a string or a list of strings"),
    (b'{"texts": ["ok", null]}', 422, "texts[1]"),
    (b'{"texts": "ok", "explain": "yes"}', 422, "explain"),
    (b'{"texts": "ok", "colour": 1}', 422, "colour"),
])
def test_bad_bodies_get_a_4xx_with_one_line_of_reason(client, reader, body, status, message):
    answer = client.post("/v1/classify", content=body, headers={**reader, "content-type": "application/json"})
    assert answer.status_code == status
    error = answer.json()["error"]
    assert message in error and "\n" not in error and "Traceback" not in error


def test_an_internal_error_is_a_json_500_without_traceback(keys, tmp_path, monkeypatch):
    config = ServiceConfig(keys=keys["path"], database=tmp_path / "db.sqlite3")
    app = create_app(config)

    def broken(*args, **kwargs):
        raise RuntimeError("model exploded: secret post text")

    monkeypatch.setattr(app.state.service, "model", type("Broken", (), {"classify": staticmethod(broken)})())
    answer = TestClient(app, raise_server_exceptions=False).post("/v1/classify", json={"texts": "x"},
                                                                  headers=auth(keys["reader"]))
    assert answer.status_code == 500 and answer.json() == {"error": "internal error; the service log has the details"}


def test_post_texts_stay_out_of_the_log_unless_asked(keys, tmp_path, caplog):
    secret = "rahasia pribadi nomor hp 0812"
    caplog.set_level(logging.INFO, logger="pilkada_nlp.service")
    quiet = make_client(keys, tmp_path / "quiet")
    quiet.post("/v1/classify", json={"texts": secret}, headers=auth(keys["reader"]))
    quiet.post("/v1/score", json={"texts": [secret]}, headers=auth(keys["reader"]))
    assert "/v1/classify 200" in caplog.text and secret not in caplog.text
    caplog.clear()
    loud = make_client(keys, tmp_path / "loud", log_texts=True)
    loud.post("/v1/classify", json={"texts": secret}, headers=auth(keys["reader"]))
    assert secret in caplog.text


# -- fact-check matching -------------------------------------------------------------------------------------------
def test_factcheck_match_needs_an_index(client, reader):
    answer = client.post("/v1/factcheck/match", json={"texts": "kotak suara dibakar"}, headers=reader)
    assert answer.status_code == 404 and "--factcheck" in answer.json()["error"]


def test_factcheck_match_returns_the_debunks_a_post_repeats(keys, reader, tmp_path):
    from pilkada_nlp.factcheck import FactCheckIndex
    from tests.test_factcheck import CLAIMS, ENCODER, rows, write_csv

    FactCheckIndex.build(write_csv(tmp_path / "archive.csv", rows()), tmp_path / "index", encoder=ENCODER).close()
    with make_client(keys, tmp_path, factcheck=tmp_path / "index") as client:
        answer = client.post("/v1/factcheck/match", json={"texts": [CLAIMS[0][0], "ayo ke tps"], "k": 2},
                             headers=reader)
        assert answer.status_code == 200
        results = answer.json()["results"]
        assert len(results) == 2 and results[0][0]["claim"] == CLAIMS[0][0]
        assert 0.0 <= results[0][0]["similarity"] <= 1.0
        assert client.post("/v1/factcheck/match", json={"texts": "x"}).status_code == 401
        assert client.post("/v1/factcheck/match", json={"texts": "x", "k": 0}, headers=reader).status_code == 422
