"""The dispute dossier over HTTP, within the caller's scope, the query recorded first.

The CLI's ``lokikirja dossier`` (``replay.dossier.build_dossier``) with the access history's
scope in front: AVI any customer; a DPO the customers its organisation was ever responsible for;
an area user its area's current customers. The refusal or the query is recorded as
``ledger.queried`` before anything is read, and everything appended so far is sealed first; a
checkpoint is signed when the latest does not cover the customer's events (not for every query,
which would give ``verify`` a signature per query), so every event of the dossier comes with an
inclusion proof. With a read replica, the dossier is read there once it holds that checkpoint.
"""

from __future__ import annotations

from typing import Any

from ledger.checkpoints import sign_checkpoint
from replay.bounded import Bounds, position_known_at
from replay.bundle import build_bundle, proof_statuses
from replay.dossier import build_dossier, last_position
from replay.person_report import completeness
from service.http import scope
from service.http.auth import Principal
from service.http.params import DossierQuery
from service.http.served import Served


def dossier_of(served: Served, principal: Principal, customer: str, q: DossierQuery, *,
               command: str = "dossier", unproven: dict[str, str] | None = None,
               bundle: bool = False) -> dict[str, Any]:
    """CONTRACT §6 ``dossier`` JSON of ``customer`` (see the module docstring); ``unproven`` as for
    :func:`~replay.dossier.build_dossier`; ``bundle``: for an evidence bundle, whose checkpoint must
    also cover the subject index's commitment."""
    bounds = q.bounds()  # a malformed --at is a 422 before anything is recorded
    when = q.known_when()
    if principal.role not in scope.HISTORY_READERS:
        scope.refuse(served, principal, f"a {principal.role} token may not read a dossier", command=command,
                     purpose=q.purpose, subject=customer)
    with served.reading(queries=False) as cur:
        visible = scope.visible_subjects(served.db, cur, principal, [customer])
    if not visible:  # a DPO or area user is refused alike for an unknown customer and one out of scope
        scope.refuse(served, principal, f"the dossier of {customer} is outside the scope of {principal.label}",
                     command=command, purpose=q.purpose, subject=customer)
    served.record(asker=principal.user, purpose=q.purpose, command=command, subject=customer, via=principal.via)
    if when is not None:  # as known at a date and time: what the ledger had recorded by then
        bounds = Bounds(at=bounds.at, position=position_known_at(served.ledger, when))
    with served.lock:
        served.refresh()
        # a checkpoint that proves the customer's every event: the latest, unless it ends before them
        if bundle:  # its checkpoint must also cover the subject index's commitment
            signed = completeness(served.ledger)["checkpoint"]
        else:
            signed = sign_checkpoint(served.ledger, covering=last_position(served.ledger, customer) or None)
    # on a replica, once it holds the read model as caught up here and that checkpoint
    reader = served.fresh_reader(served.dossier_needs(int(signed.get("tree_size") or 0)))
    return build_dossier(reader, customer, bounds, unproven=unproven)


def evidence_bundle(served: Served, dossier: dict[str, Any], bounds: Bounds) -> dict[str, Any]:
    """The portable evidence bundle of a dossier (``lokikirja dossier --format bundle``); its proofs
    and the subject index's are read on the primary, which holds the index."""
    return build_bundle(served.ledger, dossier, bounds)


def dossier_page(served: Served, principal: Principal, customer: str, q: DossierQuery, *,
                 command: str = "web dossier") -> dict[str, Any]:
    """The dossier with each event's verification status (re-hashed, proven against the signed root):
    an event altered after sealing is shown as such, beside the others, rather than failing the page."""
    unproven: dict[str, str] = {}
    doc = dossier_of(served, principal, customer, q, command=command, unproven=unproven)
    statuses = proof_statuses(served.reader, doc, unproven)
    return {"dossier": doc, "statuses": statuses,
            "all_proven": bool(statuses) and all(s == "proven" for s in statuses.values())}
