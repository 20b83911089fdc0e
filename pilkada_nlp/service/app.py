"""The patrol service's FastAPI application: the JSON API, its access rules and error shape, and start-up.

Every answer that is not a success is JSON ``{"error": "<one line>"}`` (the review page answers in HTML). Requests
need ``Authorization: Bearer <key>`` (or the review page's cookie) except ``/healthz`` and the API docs (``/docs``,
``/openapi.json``), which hold no data. The model is loaded once, in :func:`create_app`, and runs in a thread pool:
a one-post request that finds the model idle is classified alone at once (no waiting for company); one-post requests
that arrive while it is busy share the next call (:mod:`~pilkada_nlp.service.coalesce`); a list is one
``classify(list)`` call, and ``/v1/score`` streams its answer chunk by chunk.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilkada_nlp import __version__, load_model
from pilkada_nlp.inputs import check_text
from pilkada_nlp.io import write_table
from pilkada_nlp.models import Classifier
from pilkada_nlp.predictions import Prediction
from pilkada_nlp.review import DEFAULT_SOURCE, select_for_review
from pilkada_nlp.service import exports, metrics, pages
from pilkada_nlp.service.coalesce import Coalescer
from pilkada_nlp.service.config import ServiceConfig
from pilkada_nlp.service.keys import READER, REVIEWER, ApiKey, KeyStore
from pilkada_nlp.service.limits import RateLimiter
from pilkada_nlp.service.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    DecisionRequest,
    MatchRequest,
    QueueRequest,
    ScoreLine,
    ScoreRequest,
)
from pilkada_nlp.service.store import ReviewStore, UnknownPostError

log = logging.getLogger("pilkada_nlp.service")
#: Reads ``Authorization: Bearer KEY`` (and shows the "Authorize" button at /docs); module level, so that FastAPI can
#: resolve the ``Annotated`` dependency that names it.
BEARER = HTTPBearer(auto_error=False, description="an API key from `pilkada-nlp serve add-key`")
#: Posts per chunk of a ``/v1/score`` stream: big enough to amortise the per-call cost of ``classify``.
SCORE_CHUNK = 1000


def model_version(model: Classifier) -> str:
    """``name-version-fingerprint``: what a decision records, so labels can be traced to the model a person saw."""
    meta = model.metadata
    fingerprint = meta.get("training_data", {}).get("fingerprint", "")[:8]
    return "-".join(part for part in (meta.get("name", "model"), str(meta.get("version", "")), fingerprint) if part)


def review_id(text: str) -> str:
    """A post's id in the review store: the same text queued twice is one post."""
    return "s" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Service:
    """What the routes share: the model and its thread pool, keys, limits, metrics and the review store."""

    def __init__(self, config: ServiceConfig, model: Classifier, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.model = model
        self.version = model_version(model)
        self.keys = KeyStore(config.keys)
        self.store = ReviewStore(config.database)
        self.limiter = RateLimiter(config.rate_per_second, config.rate_burst, clock)
        self.metrics = metrics.Metrics()
        self.pool = ThreadPoolExecutor(config.workers, thread_name_prefix="pilkada-classify")
        self.coalescer = Coalescer(lambda texts: self.model.classify(texts), self.pool)
        # The index's SQLite connection belongs to the thread that opened it: one thread opens and queries it.
        self.factcheck_pool = ThreadPoolExecutor(1, thread_name_prefix="pilkada-factcheck")
        self.index = None
        if config.factcheck is not None:
            from pilkada_nlp.factcheck import load_index

            self.index = self.factcheck_pool.submit(load_index, config.factcheck).result()

    async def match(self, texts: list[str], k: int) -> list[list[dict[str, Any]]]:
        """The ``k`` best fact-checks per post from the index's own thread; 404 when no index is configured."""
        if self.index is None:
            raise HTTPException(404, "no fact-check index configured (start the service with --factcheck INDEX)")
        loop = asyncio.get_running_loop()
        matches = await loop.run_in_executor(self.factcheck_pool, lambda: self.index.match(texts, k=k))
        return [[m.to_dict() for m in post] for post in matches]

    async def classify(self, texts: str | list[str], explain: bool = False) -> list[Prediction]:
        """Predictions for ``texts`` from the thread pool; a ``TypeError`` of the library becomes a 422.

        One post without explanation goes through the :class:`Coalescer` (alone when the model is idle); lists and
        explanations are one ``classify`` call each.
        """
        loop = asyncio.get_running_loop()
        try:
            if isinstance(texts, str) and not explain:
                predictions = [await self.coalescer.classify(texts)]
            else:
                result = await loop.run_in_executor(self.pool, lambda: self.model.classify(texts, explain=explain))
                predictions = [result] if isinstance(result, Prediction) else result
        except TypeError as error:
            raise HTTPException(422, str(error)) from None
        self.metrics.observe_flags([p.flags for p in predictions])
        return predictions

    def authorize(self, token: str | None, role: str) -> ApiKey:
        """The key for ``token`` if it may act as ``role`` and is within its rate; else the HTTP error to answer."""
        key = self.keys.lookup(token) if token else None
        if key is None:
            raise HTTPException(401, "missing or unknown API key (send Authorization: Bearer KEY)",
                                headers={"WWW-Authenticate": "Bearer"})
        if not key.allows(role):
            raise HTTPException(403, f"key {key.name!r} has role {key.role}; this needs {role}")
        wait = self.limiter.check(key.name)
        if wait:
            raise HTTPException(429, f"rate limit of key {key.name!r} reached; retry in {wait:.1f} s",
                                headers={"Retry-After": str(max(1, round(wait)))})
        return key

    def decide(self, review_id_: str, label: str, reviewer: str) -> dict[str, Any]:
        """Store one decision; an unknown label is a 422 and an unknown post a 404."""
        try:
            return self.store.decide(review_id_, label, reviewer)
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        except UnknownPostError as error:
            raise HTTPException(404, error.args[0]) from None

    def queue_posts(self, picked: pd.DataFrame, text_column: str = "text") -> int:
        """Add review-export rows (``select_for_review`` output) to the store, with explanations; return how many."""
        if picked.empty:
            return 0
        texts = [str(t) for t in picked[text_column]]
        predictions = self.model.classify(texts, explain=True)
        rows = picked.to_dict("records")
        return self.store.add_posts([{
            "review_id": review_id(text), "source": _cell(row.get("source")) or DEFAULT_SOURCE,
            "row_key": _cell(row.get("row_key")), "selection": row["selection"], "reason": _cell(row["reason"]),
            "text": text, "label": p.label, "score": p.score, "scores": p.scores, "flags": ";".join(p.flags),
            "explanation": [list(pair) for pair in p.explanation or ()], "model_version": self.version,
        } for text, row, p in zip(texts, rows, predictions)])

    def queue_file(self, path: Path, text_column: str = "text") -> int:
        """Queue the review-export selection of scored file ``path`` (the ``pilkada-nlp review-export`` rules)."""
        c = self.config
        picked = select_for_review(path, text_column=text_column, thresholds=self.model.thresholds,
                                   n_uncertain=c.queue_uncertain, n_audit=c.queue_audit, margin=c.queue_margin)
        return self.queue_posts(picked, text_column)

    def queue_texts(self, texts: list[str], source: str) -> list[str]:
        """Queue the flagged posts of ``texts`` and those the review-export rules call uncertain; return their ids.

        The rules are applied by :func:`pilkada_nlp.review.select_for_review` itself, on a scored temporary file,
        so the service and ``review-export`` can never disagree about what "uncertain" means. Texts are stored as
        the library's input check leaves them (lone surrogates replaced, very long texts cut), so SQLite and the
        exports can always encode them.
        """
        if not texts:
            return []
        texts = [check_text(text, i)[0] for i, text in enumerate(texts)]
        predictions = self.model.classify(texts)
        frame = pd.DataFrame([{"text": t, "source": source, **p.to_row(), "error": ""}
                              for t, p in zip(texts, predictions)])
        with tempfile.TemporaryDirectory(prefix="pilkada-queue-") as work:
            scored = Path(work) / "scored.jsonl"
            write_table(frame, scored)
            picked = select_for_review(scored, thresholds=self.model.thresholds, n_uncertain=len(texts), n_audit=0,
                                       margin=self.config.queue_margin)
        thresholds = self.model.thresholds
        flagged = frame[[bool(p.flags) for p in predictions]].assign(selection="flagged", reason=[
            f"{p.label} {p.score:.3f} over threshold {thresholds[p.label]:.3f}" for p in predictions if p.flags])
        chosen = pd.concat([flagged, picked[~picked["text"].isin(flagged["text"])]], ignore_index=True)
        self.queue_posts(chosen)
        return list(dict.fromkeys(review_id(t) for t in chosen["text"]))


def _cell(value: object) -> str:
    """A table cell as text, empty for missing values (columns absent from one side of a concat are NaN)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


#: The names pydantic gives the branches of ``str | list[str]`` in an error's location.
_UNION_BRANCHES = ("str", "list[str]")


def _one_line(error: RequestValidationError) -> str:
    """The most specific validation error, as ``field[index]: message`` (pydantic's union branch names dropped)."""
    errors = error.errors()
    first = max(errors, key=lambda e: len(e.get("loc", ())))
    if first.get("type") == "json_invalid":
        return f"body is not valid JSON: {first.get('ctx', {}).get('error', 'decode error')} at byte {first['loc'][-1]}"
    where, branches = "", []
    for part in first.get("loc", ())[1:]:
        if isinstance(part, int):
            where += f"[{part}]"
        elif part in _UNION_BRANCHES:
            branches.append(part)
        else:
            where += f".{part}" if where else part
    message = first.get("msg", "invalid")
    if first.get("type") == "missing":
        message = "required field missing"
    elif branches and "[" not in where:  # neither branch of ``str | list[str]`` fits the value itself
        message = "Input should be a string or a list of strings"
    return f"{where or 'body'}: {message}"


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class _Observe:
    """ASGI middleware: refuse oversize bodies (413), then time, count and log each request (never its body)."""

    def __init__(self, app, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.service.config.max_body_bytes
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _error(413, f"request body over {limit:,} bytes")(scope, receive, send)
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"request body over {limit:,} bytes")
            return message

        status = 500
        started = time.perf_counter()

        async def observed_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, limited_receive, observed_send)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.service.metrics.observe_request(scope["method"], path, status, seconds)
            key = scope.get("state", {}).get("key")
            log.info("%s %s %d %.1fms key=%s", scope["method"], path, status, seconds * 1000,
                     key.name if key else "-")


def create_app(config: ServiceConfig, *, model: Classifier | None = None,
               clock: Callable[[], float] = time.monotonic) -> FastAPI:
    """The service for ``config``: loads the model (unless given), the keys and the review store, and queues
    ``config.queue_files``. Raises the library's errors (unknown model, bad keys file, not a scored file) at once."""
    service = Service(config, model or load_model(config.model), clock)
    for path in config.queue_files:
        added = service.queue_file(Path(path))
        log.info("queued %d new posts from %s", added, path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.pool.shutdown(wait=True)
        service.factcheck_pool.shutdown(wait=True)
        service.store.close()

    # FastAPIOffline: FastAPI with the Swagger UI and ReDoc assets of /docs served from the package, not a CDN
    app = FastAPIOffline(title="pilkada-nlp patrol service", version=__version__, lifespan=lifespan,
                         description="Flag Indonesian election posts for human review. Send `Authorization: Bearer "
                                     "KEY`; keys are made with `pilkada-nlp serve add-key`.")
    app.state.service = service

    def role(needed: str):
        # async, so FastAPI calls it on the event loop instead of handing it to a worker thread (it never blocks)
        async def dependency(request: Request,
                             credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> ApiKey:
            token = credentials.credentials if credentials else request.cookies.get(pages.COOKIE)
            key = service.authorize(token, needed)
            request.scope.setdefault("state", {})["key"] = key
            return key
        return dependency

    reader, reviewer = Depends(role(READER)), Depends(role(REVIEWER))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        cause = error.__cause__
        if isinstance(cause, UnicodeDecodeError):  # FastAPI's "error parsing the body", from request.json()
            return _error(400, f"body is not UTF-8: byte {cause.start} cannot be decoded")
        return _error(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        message = _one_line(error)
        return _error(400 if message.startswith("body is not valid JSON") else 422, message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> JSONResponse:
        log.error("internal error on %s: %s", request.url.path, type(error).__name__, exc_info=error)
        return _error(500, "internal error; the service log has the details")

    def log_texts(texts: str | list[str]) -> None:
        if config.log_texts:
            log.info("texts: %s", json.dumps(texts, ensure_ascii=False))

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, str]:
        """Liveness for load balancers; open, no key needed."""
        return {"status": "ok", "model": service.version}

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse, dependencies=[reader])
    async def prometheus() -> Response:
        """Requests, latency histogram, posts classified and flags per label, in Prometheus text format."""
        return Response(service.metrics.render(), media_type=metrics.CONTENT_TYPE)

    @app.get("/v1/model", tags=["classify"], dependencies=[reader])
    async def model_info() -> dict[str, Any]:
        """The loaded model: name, version, labels, thresholds, training data fingerprint, held-out metrics."""
        meta = service.model.metadata
        return {
            "model": service.version, "name": meta.get("name"), "version": meta.get("version"),
            "backend": meta.get("backend"), "created": meta.get("created"), "labels": service.model.labels,
            "thresholds": service.model.thresholds, "normalizer_version": meta.get("normalizer_version"),
            "training_data": {"fingerprint": meta.get("training_data", {}).get("fingerprint"),
                              "rows": meta.get("training_data", {}).get("rows")},
            "metrics": {split: {k: v for k, v in values.items() if k in ("n", "macro_f1", "accuracy", "flags")}
                        for split, values in meta.get("metrics", {}).items() if isinstance(values, dict)},
            "package_version": __version__,
            "limits": {"max_classify_texts": config.max_classify_texts, "max_score_texts": config.max_score_texts,
                       "max_body_bytes": config.max_body_bytes},
        }

    @app.post("/v1/classify", tags=["classify"], response_model=ClassifyResponse, dependencies=[reader])
    async def classify(body: ClassifyRequest) -> JSONResponse:
        """Classify one post or up to ``max_classify_texts`` posts; results always come as a list, in order."""
        if isinstance(body.texts, list) and len(body.texts) > config.max_classify_texts:
            raise HTTPException(413, f"at most {config.max_classify_texts} texts per /v1/classify request; "
                                     f"/v1/score takes up to {config.max_score_texts}")
        log_texts(body.texts)
        predictions = await service.classify(body.texts, body.explain)
        return JSONResponse({"model": service.version, "results": [p.to_dict() for p in predictions]})

    @app.post("/v1/factcheck/match", tags=["factcheck"], dependencies=[reader])
    async def factcheck_match(body: MatchRequest) -> JSONResponse:
        """The known fact-checks each post repeats, best first, with similarity and stance (needs ``--factcheck``)."""
        texts = [body.texts] if isinstance(body.texts, str) else body.texts
        if len(texts) > config.max_classify_texts:
            raise HTTPException(413, f"at most {config.max_classify_texts} texts per /v1/factcheck/match request")
        log_texts(body.texts)
        return JSONResponse({"results": await service.match(texts, body.k)})

    @app.post("/v1/score", tags=["classify"], dependencies=[reader],
              responses={200: {"content": {"application/x-ndjson": {"schema": ScoreLine.model_json_schema()}},
                               "description": "one JSON object per line, per text, in order"}})
    async def score(body: ScoreRequest) -> StreamingResponse:
        """Score up to ``max_score_texts`` posts; the answer streams as JSON lines (``index`` plus the prediction)."""
        if len(body.texts) > config.max_score_texts:
            raise HTTPException(413, f"at most {config.max_score_texts} texts per /v1/score request")
        log_texts(body.texts)
        texts = body.texts
        first = await service.classify(texts[:SCORE_CHUNK])  # errors surface before the 200 is sent

        async def lines() -> AsyncIterator[bytes]:
            predictions, start = first, 0
            while True:
                yield "".join(json.dumps({"index": start + i, **p.to_dict()}, ensure_ascii=False) + "\n"
                              for i, p in enumerate(predictions)).encode("utf-8")
                start += SCORE_CHUNK
                if start >= len(texts):
                    return
                predictions = await service.classify(texts[start : start + SCORE_CHUNK])

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    # -- review API (reviewer role); the HTML page is in pages.py --------------------------------------------------
    @app.post("/v1/review/queue", tags=["review"], dependencies=[reviewer])
    def add_to_queue(body: QueueRequest) -> dict[str, Any]:
        """Queue the flagged posts of ``texts`` and the ones near a threshold (the review-export rules)."""
        if len(body.texts) > config.max_score_texts:
            raise HTTPException(413, f"at most {config.max_score_texts} texts per request")
        try:
            queued = service.queue_texts(body.texts, body.source)
        except TypeError as error:
            raise HTTPException(422, str(error)) from None
        return {"queued": queued, "counts": service.store.counts()}

    @app.get("/v1/review/queue", tags=["review"], dependencies=[reviewer])
    def next_posts(limit: int = 20) -> dict[str, Any]:
        """The next posts to review, in queue order."""
        return {"posts": service.store.queue(max(1, min(limit, 500))), "counts": service.store.counts()}

    @app.post("/v1/review/decisions", tags=["review"])
    def decide(body: DecisionRequest, key: ApiKey = reviewer) -> dict[str, Any]:
        """Record a reviewer's label (or ``skip``) for a queued post; stored before the answer is sent."""
        return service.decide(body.review_id, body.label, key.name)

    @app.get("/v1/review/export/review.csv", tags=["review"], dependencies=[reviewer], response_class=Response)
    def export_review_file() -> Response:
        """Every queued post in the ``review-import`` layout, decided ones with ``gold_label`` and ``annotator``."""
        frame = exports.review_file(service.store.posts_with_labels())
        with tempfile.TemporaryDirectory(prefix="pilkada-export-") as work:
            path = Path(work) / "review.csv"
            write_table(frame, path)
            content = path.read_bytes()
        return Response(content, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="review.csv"'})

    @app.get("/v1/review/export/labelstudio.json", tags=["review"], dependencies=[reviewer])
    def export_label_studio() -> JSONResponse:
        """Every queued post as a Label Studio task, the model's label as pre-annotation."""
        return JSONResponse(exports.label_studio_tasks(service.store.posts_with_labels()),
                            headers={"Content-Disposition": 'attachment; filename="labelstudio.json"'})

    @app.post("/v1/review/import/labelstudio", tags=["review"], dependencies=[reviewer])
    async def import_label_studio(request: Request) -> dict[str, Any]:
        """Record the labels of a Label Studio JSON export of this service's tasks, all in one transaction."""
        try:
            document = json.loads(await request.body())
        except UnicodeDecodeError as error:
            raise HTTPException(400, f"body is not UTF-8: byte {error.start} cannot be decoded") from None
        except ValueError as error:
            raise HTTPException(400, f"body is not valid JSON: {error}") from None
        try:
            decisions, pending = exports.label_studio_decisions(document)
            stored = service.store.decide_many(decisions, origin="label studio")
        except exports.LabelStudioError as error:
            raise HTTPException(422, str(error)) from None
        except UnknownPostError as error:
            raise HTTPException(422, error.args[0]) from None
        return {"imported": len(stored), "pending": pending, "counts": service.store.counts()}

    app.include_router(pages.router(service))
    app.mount(pages.STATIC_PATH, pages.static_files(), name="static")
    app.add_middleware(_Observe, service=service)
    return app


def serve(config: ServiceConfig, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the service with uvicorn until interrupted (one process; classification in ``config.workers`` threads)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")
