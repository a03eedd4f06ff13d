"""The web UI's door: log in with a token, log out, the start page, and reading HTML forms.

Forms are ordinary ``application/x-www-form-urlencoded`` POSTs (no JavaScript needed), parsed
here with the standard library. The session cookie is HttpOnly and SameSite=Strict, which keeps
other sites from posting forms with it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from service.http.auth import SESSION_COOKIE, SESSION_HOURS, Principal, served, web_principal
from service.http.render import page

router = APIRouter(include_in_schema=False)
WebCaller = Annotated[Principal, Depends(web_principal)]
MAX_FORM_BYTES = 64 * 1024
START_PAGES = {"avi": "/ranking", "dpo": "/ranking", "area-user": "/who-viewed", "appeals": "/who-viewed"}


class FormTooLarge(Exception):
    """A form body over :data:`MAX_FORM_BYTES`."""


async def form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (the last value of a repeated field), blank ones included."""
    return {name: values[-1] for name, values in (await form_lists(request)).items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """The fields of a urlencoded form with every value of a repeated field (checkboxes), in order."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormTooLarge()
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge()
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site (never another host), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/")
def home(request: Request, caller: WebCaller) -> Response:
    """The start page of the caller's role."""
    start = START_PAGES.get(caller.role)
    return redirect(start) if start else page(request, "home.html.j2", principal=caller)


@router.get("/login")
def login_form(request: Request) -> Response:
    return page(request, "login.html.j2")


@router.post("/login")
async def login(request: Request) -> Response:
    """Open a session with a token: a cookie with an opaque session id, never the token."""
    try:
        token = (await form(request)).get("token", "").strip()
    except FormTooLarge:
        token = ""
    entry = served(request).tokens.authenticate(token) if token else None
    if entry is None:
        return page(request, "login.html.j2", status=401, error=True)
    response = redirect("/")
    response.set_cookie(SESSION_COOKIE, request.app.state.sessions.open(entry.id), max_age=SESSION_HOURS * 3600,
                        path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        request.app.state.sessions.close(sid)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
