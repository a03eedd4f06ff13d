"""Shapes of the API's answers, for the OpenAPI document (answers are built as plain dicts).

They restate CONTRACT §5–7; the handlers do not validate against them at run time.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    """One problem: an event's ``line`` (JSON Lines) or ``index`` (JSON array), or a parameter."""

    line: int | None = None
    index: int | None = None
    field: str
    message: str


class ErrorBody(BaseModel):
    detail: str = Field(description="One plain sentence.")
    errors: list[ErrorItem] | None = None
    total: int | None = Field(None, description="How many problems in all (the first 100 are listed).")


class IngestResult(BaseModel):
    ingested: int
    duplicates: int


class Finding(BaseModel):
    finding: str
    rule: str
    severity: str
    event: str
    at: str
    org: str | None
    user: str | None
    subject: str | None
    explanation: str


class AccessRow(BaseModel):
    event: str
    at: str
    user: str
    org: str | None
    subject: str
    purpose: str
    categories: list[str]
    findings: list[str]


class ReviewResult(BaseModel):
    event: str = Field(description="The id of the appended finding.reviewed fact.")
    finding: str
    verdict: str
    note: str
    reviewer: str
    at: str


class CaseNote(BaseModel):
    note: str
    by: str
    at: str
    findings: list[str] = Field(description="The findings this note added to the case.")


class CaseClosing(BaseModel):
    by: str
    at: str
    reason: str


class Case(BaseModel):
    """An inspection case folded from its facts (ADR 0018): the selection it was opened with, its
    findings, its notes and, once closed, who closed it, when and why."""

    case: str
    title: str
    opened_by: str
    opened_at: str
    org: str | None
    since: str | None
    until: str | None
    rule: str | None
    user: str | None
    findings: list[str]
    notes: list[CaseNote]
    closed: CaseClosing | None


class CaseWithFindings(BaseModel):
    case: Case
    findings: list[Finding] = Field(description="The case's findings as GET /v1/findings gives them.")
    reviews: dict[str, list[dict[str, Any]]] = Field(description="Each finding's reviews, oldest first.")


class Checkpoint(BaseModel):
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str


class PublicKey(BaseModel):
    key_id: str
    public_key: str = Field(description="Raw Ed25519 public key, base64.")


class InclusionProof(BaseModel):
    leaf_index: int
    tree_size: int
    leaf: str
    leaf_hash: str
    audit_path: list[str]
    root_hash: str


class ConsistencyProof(BaseModel):
    first_size: int
    second_size: int
    first_root: str
    second_root: str
    proof: list[str]


class Dossier(BaseModel):
    """CONTRACT §6 ``dossier``: responsibility, the timeline judged event by event, decisions with the
    authority competent at their moment, the signed checkpoint and an inclusion proof per event."""

    customer: str
    at: str | None
    responsibility: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    checkpoint: Checkpoint | None
    proofs: dict[str, InclusionProof]


class VerifyResult(BaseModel):
    ok: bool
    events: int
    checkpoints: int
    first_bad: dict[str, Any] | None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, all with :class:`ErrorBody`."""
    text = {400: "Cannot be answered", 401: "No valid bearer token", 403: "Out of scope (recorded in the ledger)",
            404: "Not found", 409: "Conflict", 413: "Batch too large", 422: "Invalid input, per item or field",
            503: "The store is not usable"}
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}
