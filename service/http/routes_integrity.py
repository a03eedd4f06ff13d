"""``/v1`` integrity endpoints: the signed checkpoint, RFC 6962 proofs, verification (CONTRACT §7).

The functions are the CLI's (``lokikirja checkpoint``, ``proof``, ``verify``): ``ledger.checkpoints``
and ``replay.verify``. Checkpoint, consistency proofs and the public key are for every role (a
source system may hold the ledger to account); inclusion proofs carry a stored record (its leaf),
and verification reads the whole log, so they are for ``dpo`` and ``avi``.
"""

from __future__ import annotations

import base64
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import AfterValidator

from ledger.checkpoints import (
    checkpoint_note,
    consistency_proof,
    inclusion_proof,
    log_verifier,
    public_key,
    sign_checkpoint,
)
from ledger.errors import UnknownSubject
from ledger.records import StoredFact
from replay.verify import verify
from service.http import params, scope
from service.http.auth import Principal, api_principal, served
from service.http.render import json_response
from service.http.schemas import Checkpoint, ConsistencyProof, InclusionProof, PublicKey, VerifyResult, errors
from service.http.served import Served

router = APIRouter(prefix="/v1", tags=["integrity"])
Caller = Annotated[Principal, Depends(api_principal)]
TreeSize = Annotated[int, Query(ge=1, le=2**62, description="A tree size (events sealed).")]
ProofPurpose = Annotated[str | None, Query(min_length=1, max_length=params.MAX_PURPOSE,
                                           description="Why (recorded with the request)."),
                         AfterValidator(lambda v: None if v is None else params.screened_text(v, "purpose"))]


def _allowed(request: Request, caller: Principal, roles: frozenset[str], command: str) -> Served:
    store = served(request)
    scope.require_role(store, caller, roles, command=command)
    return store


@router.get("/checkpoint", response_model=Checkpoint, responses=errors(401, 403))
def get_checkpoint(request: Request, caller: Caller) -> Response:
    """The signed checkpoint of everything appended so far (sealed and signed now if the log grew)."""
    store = _allowed(request, caller, scope.ALL_ROLES, "checkpoint")
    with store.lock:
        return json_response(sign_checkpoint(store.ledger))


@router.get("/checkpoint/note", response_class=PlainTextResponse, responses=errors(401, 403))
def get_checkpoint_note(request: Request, caller: Caller) -> Response:
    """The latest checkpoint as a C2SP signed note (c2sp.org/tlog-checkpoint) with every witness's
    cosignature (``lokikirja checkpoint --format note``)."""
    store = _allowed(request, caller, scope.ALL_ROLES, "checkpoint")
    with store.lock:
        sign_checkpoint(store.ledger)
        _checkpoint, note = checkpoint_note(store.ledger)
    return PlainTextResponse(note.encode())


@router.get("/log-key", response_class=PlainTextResponse, responses=errors(401))
def get_log_key(request: Request, caller: Caller) -> Response:
    """The log's verifier key, ``origin+hexid+base64(0x01 ‖ key)`` (``lokikirja keys verifier``).
    A verifier should pin a copy obtained out of band, not this one."""
    return PlainTextResponse(str(log_verifier(_allowed(request, caller, scope.ALL_ROLES, "log-key").ledger)) + "\n")


@router.get("/public-key", response_model=PublicKey, responses=errors(401))
def get_public_key(request: Request, caller: Caller) -> Response:
    """The Ed25519 key that verifies checkpoints (``lokikirja checkpoint --public-key``)."""
    key_id, key = public_key(_allowed(request, caller, scope.ALL_ROLES, "public-key").ledger)
    return json_response({"key_id": key_id, "public_key": base64.b64encode(key).decode()})


@router.get("/proofs/inclusion/{event}", response_model=InclusionProof, responses=errors(400, 401, 403, 404, 409))
def get_inclusion(request: Request, caller: Caller, event: UUID,
                  tree_size: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                  purpose: ProofPurpose = None) -> Response:
    """RFC 6962 inclusion proof of an event, against the latest checkpoint unless ``tree_size`` is given.
    Its ``leaf`` is the stored record, so it is scoped like every read: AVI any event, a DPO the events
    about its organisation's customers or users (else 403); the request is recorded (``ledger.queried``)."""
    store = _allowed(request, caller, scope.PROOF_READERS, "proof inclusion")
    fact = store.ledger.facts_by_id([event]).get(event)
    if fact is None:
        raise UnknownSubject(f"no event with id {event} in the ledger")
    customers, users = _concerned(fact)
    subject = customers[0] if customers else None
    if caller.role != "avi":
        with store.reading(queries=False) as cur:
            allowed = bool(scope.visible_subjects(store.db, cur, caller, customers)) or any(
                scope.may_see_user(store.db, cur, caller, u) for u in users)
        if not allowed:
            scope.refuse(store, caller, f"the proof of event {event} is outside the scope of {caller.label}",
                         command="proof inclusion", purpose=purpose, subject=subject)
    store.record(asker=caller.user, purpose=purpose or PROOF_PURPOSE, command="proof inclusion", subject=subject,
                 user=next((u for u in users if u != fact.actor), None), via=caller.via)
    return json_response(inclusion_proof(store.ledger, event, tree_size))


PROOF_PURPOSE = "inclusion proof (no purpose given)"


def _concerned(fact: StoredFact) -> tuple[list[str], list[str]]:
    """The customers and users an event is about: its ``customer``/``subject`` and ``user`` fields and its actor."""
    customers = [v for k in ("customer", "subject") if isinstance(v := fact.data.get(k), str) and v.startswith("c:")]
    users = [v for v in (fact.data.get("user"), fact.actor) if isinstance(v, str) and v.startswith("u:")]
    return customers, list(dict.fromkeys(users))


@router.get("/proofs/consistency", response_model=ConsistencyProof, responses=errors(400, 401, 403, 422))
def get_consistency(request: Request, caller: Caller, first: TreeSize, second: TreeSize) -> Response:
    """RFC 6962 consistency proof that the tree of ``first`` events is a prefix of that of ``second``."""
    store = _allowed(request, caller, scope.ALL_ROLES, "proof consistency")
    return json_response(consistency_proof(store.ledger, first, second))


@router.get("/verify", response_model=VerifyResult, responses=errors(401, 403))
def get_verify(request: Request, caller: Caller) -> Response:
    """Recompute every hash against the seal and the signed checkpoints; ``ok: false`` names the first bad
    position. One process: a server's threads must not fork."""
    store = _allowed(request, caller, scope.PROOF_READERS, "verify")
    return json_response(verify(store.ledger, workers=1).to_json())
