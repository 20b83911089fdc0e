"""The review page: one post at a time, why the model flagged it, and a button per label (plus "skip").

Server-rendered HTML that works without JavaScript (each button posts a form; the decision is committed before the
redirect to the next post) and without internet (the CSS and the small keyboard-shortcut script are package data).
The reviewer signs in with a ``reviewer`` key, kept in an HttpOnly, SameSite=Strict cookie, so other sites can
neither read it nor post decisions with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pilkada_nlp.labels import LABEL_INFO, LABELS
from pilkada_nlp.service.highlight import segments
from pilkada_nlp.service.keys import REVIEWER, ApiKey
from pilkada_nlp.service.store import SKIP

if TYPE_CHECKING:  # app.py imports this module
    from pilkada_nlp.service.app import Service

HERE = Path(__file__).parent
#: Cookie set by the sign-in form; holds the key itself (HttpOnly, SameSite=Strict).
COOKIE = "pilkada_key"
STATIC_PATH = "/review/static"
#: Decisions the page offers, with their buttons' captions and keyboard shortcuts.
BUTTONS = [(label, LABEL_INFO[label].indonesian, str(i)) for i, label in enumerate(LABELS, start=1)]
BUTTONS.append((SKIP, "lewati (skip)", str(len(LABELS) + 1)))
#: Seconds the sign-in cookie lasts: a working day.
COOKIE_SECONDS = 12 * 3600

_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def _page(name: str, status: int = 200, **context) -> HTMLResponse:
    html = _templates.get_template(name).render(static=STATIC_PATH, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def router(service: Service) -> APIRouter:
    """The page's routes, bound to ``service``."""
    pages = APIRouter(tags=["review page"], include_in_schema=False)

    def signed_in(request: Request) -> ApiKey | HTMLResponse:
        """The reviewer's key from the cookie, or the sign-in page with the reason (401, 403 or 429)."""
        try:
            key = service.authorize(request.cookies.get(COOKIE), REVIEWER)
        except HTTPException as error:
            message = None if error.status_code == 401 and COOKIE not in request.cookies else error.detail
            return _page("login.html", error.status_code, message=message)
        request.scope.setdefault("state", {})["key"] = key
        return key

    @pages.get("/review", response_class=HTMLResponse)
    def review(request: Request) -> Response:
        key = signed_in(request)
        if isinstance(key, Response):
            return key
        post = next(iter(service.store.queue(1)), None)
        pieces = segments(post["text"], post["explanation"]) if post else []
        return _page("review.html", reviewer=key.name, post=post, pieces=pieces, counts=service.store.counts(),
                     labels=LABELS, names={label: info.indonesian for label, info in LABEL_INFO.items()},
                     thresholds=service.model.thresholds, buttons=BUTTONS,
                     recent=service.store.decisions(key.name, limit=5))

    @pages.post("/review/login")
    def login(key: str = Form("")) -> Response:
        found = service.keys.lookup(key.strip())
        if found is None or not found.allows(REVIEWER):
            reason = "unknown key" if found is None else f"key {found.name!r} is a {found.role} key; use a reviewer key"
            return _page("login.html", 401 if found is None else 403, message=reason)
        response = RedirectResponse("/review", status_code=303)
        response.set_cookie(COOKIE, key.strip(), max_age=COOKIE_SECONDS, httponly=True, samesite="strict")
        return response

    @pages.post("/review/logout")
    def logout() -> Response:
        response = RedirectResponse("/review", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @pages.post("/review/decide")
    def decide(request: Request, review_id: str = Form(...), label: str = Form(...)) -> Response:
        key = signed_in(request)
        if isinstance(key, Response):
            return key
        try:
            service.decide(review_id, label, key.name)
        except HTTPException as error:
            return _page("login.html", error.status_code, message=error.detail, signed_in=True)
        return RedirectResponse("/review", status_code=303)

    return pages
