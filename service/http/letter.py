"""The data subject's Art. 15 letter over the web, within the caller's scope, the request
recorded first — the letter of ``lokikirja subject-report --format html``.

Scoped as the access history (``scope.visible_subjects``): AVI any customer; a DPO the customers
its organisation was ever responsible for; an area user its area's current customers. Not an
appeals body: it reads its case, and a letter is the controller's answer to the person. The
request is recorded as ``ledger.queried`` (or refused, and the refusal recorded) before anything
is read; its log position is the letter's reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from projections import subject as subject_queries
from replay.person_report import completeness
from service.commands.subject import letter_html
from service.http import scope
from service.http.auth import Principal
from service.http.params import AccessQuery, BadParameter, window
from service.http.served import Served
from service.letters import Contacts, reference_number

COMMAND = "web subject-report"
LETTER_WRITERS = scope.HISTORY_READERS - {"appeals"}


@dataclass(frozen=True)
class Letter:
    """The letter's html and its reference number."""

    html: str
    reference: str


def subject_letter(served: Served, principal: Principal, q: AccessQuery, contacts: Contacts | None) -> Letter:
    """The Art. 15 letter to the customer ``q.subject`` (see the module docstring)."""
    customer = q.subject
    if customer is None or not customer.startswith("c:"):
        raise BadParameter("subject", "the letter is to a customer: give c:<token>")
    span = window(q.since, q.until)  # malformed dates are a 422 before anything is recorded
    if principal.role not in LETTER_WRITERS:
        scope.refuse(served, principal, f"a {principal.role} token may not make a data subject's letter",
                     command=COMMAND, purpose=q.purpose, subject=customer)
    with served.reading(queries=False) as cur:
        visible = scope.visible_subjects(served.db, cur, principal, [customer])
    if not visible:
        scope.refuse(served, principal, f"the letter to {customer} is outside the scope of {principal.label}",
                     command=COMMAND, purpose=q.purpose, subject=customer)
    query = served.record(asker=principal.user, purpose=q.purpose, command=COMMAND, subject=customer,
                          via=principal.via)
    with served.lock:
        served.refresh()
        done = completeness(served.ledger)  # the query record sealed and signed too: `verify` covers it
    ledger = served.ledger  # the identity block is decrypted with the primary's keys
    with ledger.db.read() as cur:
        customers = subject_queries.customers_of(ledger.db, cur, subject=customer)
        rows = subject_queries.report_rows(ledger.db, cur, customers, span)
        reference = reference_number(query)
        return Letter(letter_html(ledger, cur, customers, rows, reference=reference, done=done, contacts=contacts),
                      reference)
