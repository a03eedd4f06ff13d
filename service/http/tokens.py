"""The tokens file: bearer tokens of the HTTP API, each for one user with one role.

A token is ``lkk_<id>_<secret>``; it is shown once, when it is made. The file keeps only the
SHA-256 of the whole token (a 256-bit random secret needs no slow hash), the user, the role, the
organisation and when it was made or revoked. It is written atomically with mode 0600.

Where it lives: ``--tokens FILE``, else ``$LOKIKIRJA_TOKENS``, else ``lokikirja-tokens.json``
next to the key folder (``--keys`` / ``$LOKIKIRJA_KEYS`` / ``./lokikirja-keys``). The server
re-reads it when it changes, so ``tokens add`` and ``tokens revoke`` take effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.errors import UnknownSubject, UsageError
from ledger.identifiers import CUSTOMER_RE, ORG_RE, USER_RE
from ledger.keys import resolve_keys_dir

ROLES = ("ingest", "dpo", "avi", "area-user", "appeals")
PREFIX = "lkk"
FILE_NAME = "lokikirja-tokens.json"


@dataclass(frozen=True)
class TokenEntry:
    """One token as stored: never the token itself, only its SHA-256."""

    id: str
    user: str
    role: str
    org: str | None
    sha256: str
    created: str
    revoked: str | None = None
    customers: tuple[str, ...] = ()  # appeals: the customers of its case, and no one else
    case: str | None = None  # appeals: the case it was given for (recorded with the token)

    def __post_init__(self) -> None:
        object.__setattr__(self, "customers", tuple(self.customers))  # a list when read from the file

    def public(self) -> dict[str, Any]:
        """The entry without its hash (for ``tokens list``)."""
        return {k: v for k, v in asdict(self).items() if k != "sha256"}


def resolve_tokens_path(tokens: str | os.PathLike[str] | None = None, keys: str | None = None) -> Path:
    """``tokens``, else ``$LOKIKIRJA_TOKENS``, else ``lokikirja-tokens.json`` beside the key folder."""
    explicit = tokens or os.environ.get("LOKIKIRJA_TOKENS")
    if explicit:
        return Path(explicit).expanduser().resolve()
    return resolve_keys_dir(keys).expanduser().resolve().parent / FILE_NAME


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_grant(user: str, role: str, org: str | None, customers: tuple[str, ...] = (),
                case: str | None = None) -> None:
    """A token's user, role, organisation and case must fit together (raises ``UsageError``)."""
    if not USER_RE.fullmatch(user):
        raise UsageError("--user must be a user id of the form u:<token>")
    if role not in ROLES:
        raise UsageError(f"--role must be one of {', '.join(ROLES)}")
    if org is not None and not ORG_RE.fullmatch(org):
        raise UsageError("--org must be an organisation id (area:…, te:…, keha, avi, tem)")
    if role == "dpo" and org is None:
        raise UsageError("a dpo token needs --org: the organisation whose data-protection officer it is")
    if role == "area-user" and (org is None or not org.startswith("area:")):
        raise UsageError("an area-user token needs --org area:<slug>: the user's experiment area")
    if role == "appeals" and (not customers or not case or not case.strip()):
        raise UsageError("an appeals token needs --case and at least one --customer c:…: it reads only those")
    if role != "appeals" and (customers or case):
        raise UsageError("--customer and --case are for appeals tokens only")
    bad = [c for c in customers if not CUSTOMER_RE.fullmatch(c)]
    if bad:
        raise UsageError(f"--customer {bad[0]!r} is not a customer id of the form c:<token>")


class TokenFile:
    """The tokens file, re-read whenever it changes on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._entries: dict[str, TokenEntry] = {}

    def entries(self) -> list[TokenEntry]:
        """Every token ever made here, revoked ones included, oldest first."""
        with self._lock:
            self._reload()
            return list(self._entries.values())

    def authenticate(self, token: str) -> TokenEntry | None:
        """The live entry of ``token``, or ``None`` (unknown, malformed or revoked)."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        with self._lock:
            self._reload()
            entry = self._entries.get(parts[1])
        if entry is None or entry.revoked is not None or not hmac.compare_digest(entry.sha256, _digest(token)):
            return None
        return entry

    def live(self, token_id: str) -> TokenEntry | None:
        """The entry with this id unless it was revoked (sessions check it on every request)."""
        with self._lock:
            self._reload()
            entry = self._entries.get(token_id)
        return entry if entry is not None and entry.revoked is None else None

    def add(self, user: str, role: str, org: str | None = None, *, customers: tuple[str, ...] = (),
            case: str | None = None) -> tuple[TokenEntry, str]:
        """Make a token; returns its entry and the token, which is not kept anywhere."""
        check_grant(user, role, org, customers, case)
        with self._lock:
            self._reload()
            token_id = secrets.token_hex(4)
            while token_id in self._entries:
                token_id = secrets.token_hex(4)
            token = f"{PREFIX}_{token_id}_{secrets.token_urlsafe(32)}"
            entry = TokenEntry(token_id, user, role, org, _digest(token), _now(), customers=customers,
                               case=case.strip() if case else None)
            self._entries[token_id] = entry
            self._write()
        return entry, token

    def revoke(self, token_id: str) -> TokenEntry:
        """Revoke a token by its id: it stops working at once; the entry stays for the record."""
        with self._lock:
            self._reload()
            entry = self._entries.get(token_id)
            if entry is None:
                raise UnknownSubject(f"no token with id {token_id} in {self.path}")
            if entry.revoked is None:
                entry = self._entries[token_id] = replace(entry, revoked=_now())
                self._write()
        return entry

    # ------------------------------------------------------------------ the file
    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._entries = None, {}
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            entries = [TokenEntry(**e) for e in doc["tokens"]]
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{self.path} is not a Lokikirja tokens file ({type(e).__name__})") from None
        self._entries = {e.id: e for e in entries}
        self._stamp = stamp

    def _write(self) -> None:
        if not self.path.parent.exists():
            raise UsageError(f"the folder {self.path.parent} does not exist")
        doc = {"version": 1, "tokens": [asdict(e) for e in self._entries.values()]}
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=1)
            out.write("\n")
        os.replace(temporary, self.path)
        os.chmod(self.path, 0o600)
        self._stamp = None  # re-read (and re-stamp) on the next access


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
