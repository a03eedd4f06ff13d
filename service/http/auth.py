"""Who is asking: bearer tokens for the API, cookie sessions for the web UI.

The API reads ``Authorization: Bearer <token>``; a missing, unknown or revoked token is a 401.
The web UI logs in with the same token once and then carries an opaque session id in a cookie
(HttpOnly, SameSite=Strict, Secure over https); the session lives in this process's memory for
:data:`SESSION_HOURS` and ends at once when its token is revoked or on logout.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from service.http.served import Served
from service.http.tokens import TokenEntry

SESSION_COOKIE = "lokikirja_session"
SESSION_HOURS = 8

bearer_scheme = HTTPBearer(auto_error=False, scheme_name="token",
                           description="A token made by `lokikirja tokens add` (lkk_…).")


class Unauthenticated(Exception):
    """No valid token: answered 401."""


class LoginRequired(Exception):
    """A web page without a live session: answered with a redirect to the login page."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the token's user, role and organisation, and the door used."""

    user: str
    role: str
    org: str | None
    token_id: str
    via: str = "http"
    customers: tuple[str, ...] = ()  # appeals: the only customers it may read
    case: str | None = None

    @classmethod
    def of(cls, entry: TokenEntry, via: str) -> Principal:
        return cls(entry.user, entry.role, entry.org, entry.id, via, entry.customers, entry.case)

    @property
    def label(self) -> str:
        """e.g. ``u:dpo-1 (dpo of area:helsinki)``, ``u:appeals-3 (appeals for case 2026/88)``."""
        if self.role == "appeals":
            return f"{self.user} (appeals for case {self.case})"
        return f"{self.user} ({self.role}{' of ' + self.org if self.org else ''})"


def served(request: Request) -> Served:
    """The app's :class:`Served` (a dependency)."""
    return request.app.state.served  # type: ignore[no-any-return]


def api_principal(request: Request,
                  credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> Principal:
    """The caller of a ``/v1`` endpoint, from its bearer token (raises :class:`Unauthenticated`)."""
    if credentials is None:
        raise Unauthenticated("this endpoint needs a bearer token (Authorization: Bearer lkk_…)")
    entry = served(request).tokens.authenticate(credentials.credentials)
    if entry is None:
        raise Unauthenticated("the bearer token is not valid (unknown, malformed or revoked)")
    return Principal.of(entry, "http")


class Sessions:
    """Web sessions: an opaque random id → the token it was opened with, until it expires."""

    def __init__(self, lifetime_s: float = SESSION_HOURS * 3600) -> None:
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._open: dict[str, tuple[str, float]] = {}

    def open(self, token_id: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._open = {k: v for k, v in self._open.items() if v[1] > now}
            self._open[sid] = (token_id, now + self.lifetime_s)
        return sid

    def token_of(self, sid: str) -> str | None:
        with self._lock:
            found = self._open.get(sid)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def close(self, sid: str) -> None:
        with self._lock:
            self._open.pop(sid, None)


def session_principal(request: Request) -> Principal | None:
    """The web caller, or ``None`` without a live session."""
    sid = request.cookies.get(SESSION_COOKIE)
    token_id = request.app.state.sessions.token_of(sid) if sid else None
    entry = served(request).tokens.live(token_id) if token_id else None
    return None if entry is None else Principal.of(entry, "web")


def web_principal(request: Request) -> Principal:
    """The caller of a web page (raises :class:`LoginRequired`)."""
    principal = session_principal(request)
    if principal is None:
        raise LoginRequired()
    return principal
