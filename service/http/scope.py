"""What each role may see and do (docs/api.md, "Roles and scopes").

| role        | may                                                                                   |
| ----------- | ------------------------------------------------------------------------------------- |
| `ingest`    | post facts; read the checkpoint, consistency proofs and the public key                |
| `dpo`       | its organisation's findings (and review them), access history of the customers the    |
|             | organisation was ever responsible for and of the users ever registered with it,       |
|             | the (aggregate) supervision and monitoring reports, proofs and verification           |
| `avi`       | everything, read-only, and reviews of any finding                                     |
| `area-user` | access history of its area's current customers (responsible at the horizon)          |
| `appeals`   | an appeal body's case: the dossier, evidence bundle and access history of the customers |
|             | named on its token, read-only; nothing else                                           |

A refusal is recorded as ``ledger.queried`` with ``refused: true`` — who, what, the purpose
given — and only then answered 403.
"""

from __future__ import annotations

from typing import NoReturn

from ledger.db import Cursor, Database
from projections import oversight
from service.http.auth import Principal
from service.http.served import Served

ALL_ROLES = frozenset({"ingest", "dpo", "avi", "area-user", "appeals"})
INGESTERS = frozenset({"ingest"})
HISTORY_READERS = frozenset({"dpo", "avi", "area-user", "appeals"})
FINDING_READERS = frozenset({"dpo", "avi"})
REVIEWERS = FINDING_READERS
REPORT_READERS = frozenset({"dpo", "avi"})
PROOF_READERS = frozenset({"dpo", "avi"})
NO_PURPOSE = "(no purpose given)"


class Refused(Exception):
    """Out of the caller's scope: answered 403, after the refusal was recorded."""


def refuse(served: Served, principal: Principal, reason: str, *, command: str, purpose: str | None = None,
           subject: str | None = None, user: str | None = None, hetu_index: str | None = None) -> NoReturn:
    """Record the refused request in the ledger, then raise :class:`Refused`."""
    served.record(asker=principal.user, purpose=purpose or NO_PURPOSE, command=command, subject=subject,
                  user=user, hetu_index=hetu_index, via=principal.via, refused=True)
    raise Refused(reason)


def require_role(served: Served, principal: Principal, roles: frozenset[str], *, command: str,
                 purpose: str | None = None) -> None:
    """Refuse (recorded) unless the caller's role is one of ``roles``."""
    if principal.role not in roles:
        refuse(served, principal, f"a {principal.role} token may not use {command}", command=command,
               purpose=purpose)


def findings_org(served: Served, principal: Principal, org: str | None, *, command: str) -> str | None:
    """The organisation filter a findings request runs with: a DPO's own organisation, always."""
    require_role(served, principal, FINDING_READERS, command=command)
    if principal.role != "dpo":
        return org
    if org is not None and org != principal.org:
        refuse(served, principal, f"a dpo of {principal.org} sees only the findings about {principal.org}",
               command=command)
    return principal.org


def may_review(principal: Principal, finding: dict[str, object]) -> bool:
    """AVI reviews any finding; a DPO the findings about its own organisation."""
    return principal.role == "avi" or (principal.role == "dpo" and finding.get("org") == principal.org)


def visible_subjects(db: Database, cur: Cursor, principal: Principal, subjects: list[str]) -> list[str]:
    """The ``subjects`` whose access history the caller may read."""
    if principal.role == "avi":
        return subjects
    if principal.role == "appeals":  # the customers of its case, known to the ledger or not
        return [s for s in subjects if s in principal.customers]
    if principal.role not in ("dpo", "area-user") or principal.org is None:
        return []
    customers = [s for s in subjects if s.startswith("c:")]
    kept = oversight.customers_of(db, cur, principal.org, customers, now_only=principal.role == "area-user")
    return [s for s in subjects if s in kept]


def may_see_user(db: Database, cur: Cursor, principal: Principal, user: str) -> bool:
    """Whether the caller may read what ``user`` viewed: AVI, or the DPO of the user's organisation."""
    if principal.role == "avi":
        return True
    if principal.role != "dpo" or principal.org is None:
        return False
    return bool(oversight.users_of(db, cur, principal.org, [user]))


def sees_findings_of(principal: Principal, org: str) -> bool:
    """Whether the caller may list the findings about ``org`` (see :func:`findings_org`)."""
    return principal.role == "avi" or (principal.role == "dpo" and principal.org == org)
