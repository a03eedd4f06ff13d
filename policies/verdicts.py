"""Verdicts: what a rule concluded about one fact, with severity, legal basis and a reason.

:data:`RULES` is the one table of CONTRACT §5: every rule's severity, its legal basis (the bullet
of DOMAIN.md it rests on) and a one-line summary. :func:`verdict` builds a :class:`Verdict` from
it, so no rule states its own severity. Explanations are one sentence a data-protection officer
understands and **never** contain a HETU or a name: only ids (``u:…``, ``c:…``, ``area:…``),
codes, dates and times.

:func:`finding_id` is the deterministic finding id of CONTRACT §5::

    "f:" + hex(SHA-256(UTF-8("lokikirja-finding/1|" + rule + "|" + event_id + "|" + subject)))[:32]

with ``event_id`` in lower case and ``subject`` the empty string when there is none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from ledger.events import Rule, Severity
from policies.rulesets import rule_set_at


class Verdict(NamedTuple):
    """A rule's conclusion that a fact (or an episode) breaks it. A tuple (immutable; made in a
    third of a frozen dataclass's time: a dispute dossier makes thousands).

    ``rule`` is a :class:`~ledger.events.Rule` of CONTRACT §5 (or the id of a rule filed beside
    them, :mod:`policies.rulebook`); ``org`` is the organisation concerned, ``user`` the acting
    ``u:`` user and ``subject`` the customer or employer, each ``None`` where it does not apply
    (CONTRACT §5).
    """

    rule: StrEnum
    severity: Severity
    rule_set: str
    legal_basis: str
    explanation: str
    org: str | None = None
    user: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule's severity (CONTRACT §5), legal basis (DOMAIN.md) and a one-line summary."""

    severity: Severity
    legal_basis: str
    summary: str


_URA = "DOMAIN.md, the customer information system (URA): "
_LOGS = "DOMAIN.md, access logs: active log monitoring is how snooping (urkinta) is found"
H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW

RULES: Mapping[Rule, RuleInfo] = MappingProxyType({
    Rule.ACCESS_WITHOUT_RIGHT: RuleInfo(H, _URA + "every user has a personal access right granted by KEHA on "
                                        "application, as in a TE office (Act 1269/2020).",
                                        "A record was viewed or a decision made without an access right in force."),
    Rule.ACCESS_OUTSIDE_OWN_CUSTOMERS: RuleInfo(H, _URA + "experiment areas see only their own personal customers' "
                                                "data (Act 1269/2020).",
                                                "An experiment area's user viewed a customer who is not the area's."),
    Rule.ACCESS_EXCESS_CATEGORIES: RuleInfo(M, _URA + "GDPR principles of proportionality, purpose limitation and "
                                            "data minimisation (GDPR Art. 5(1)(b)-(c)); CONTRACT §3.",
                                            "A view took data categories its purpose does not need."),
    Rule.ACCESS_OWN_RECORD: RuleInfo(H, _URA + "use only where necessary for the Act's tasks; " + _LOGS + ".",
                                     "An official viewed the customer record of their own HETU."),
    Rule.ACCESS_BULK: RuleInfo(M, _LOGS + "; GDPR data minimisation (Art. 5(1)(c)).",
                               "A user viewed 50 distinct customers within 60 minutes."),
    Rule.ACCESS_OFF_HOURS: RuleInfo(L, _LOGS + "; log records hold when and by whom (national cyber security "
                                    "centre guidance).",
                                    "A record was viewed outside office hours (local Helsinki time)."),
    Rule.GRANT_UNAUTHORISED: RuleInfo(H, _URA + "every user has a personal access right granted by KEHA on "
                                      "application.",
                                      "An access right was granted by someone other than a KEHA user."),
    Rule.GRANT_NOT_NECESSARY: RuleInfo(M, _URA + "an access right may be granted only if use is necessary for "
                                       "the Act's tasks; not if the person's main duties are other than those.",
                                       "An access right was granted to a user whose main duties are not under "
                                       "the Act."),
    Rule.DECISION_WRONG_AUTHORITY: RuleInfo(H, "DOMAIN.md, what the experiment area does for its customers and what "
                                            "the state TE office keeps (Act 1269/2020; amendment 421/2021); "
                                            "CONTRACT §4.",
                                            "A decision was made by an organisation that is not competent."),
    Rule.DECISION_LANGUAGE: RuleInfo(M, "DOMAIN.md, language: Language Act 423/2003 §§10, 12, 19-20 - in a "
                                     "party's matter the decision is given in the language of the matter.",
                                     "A decision was given in another language than the customer's Finnish or "
                                     "Swedish."),
    Rule.TRANSFER_INELIGIBLE: RuleInfo(H, "DOMAIN.md, the customer group (asiakasryhmä): home municipality in the "
                                       "experiment area and under 30, or without earnings-related allowance, or an "
                                       "immigrant or foreign-language speaker (Act 1269/2020).",
                                       "A customer outside the area's customer group was transferred to the area."),
    Rule.TRANSFER_MISSED: RuleInfo(M, "DOMAIN.md, the amended §5 (671/2022): a person who falls into the group is "
                                   "transferred within 7 days; a moved customer is transferred on or back; the TE "
                                   "office may lawfully leave a person untransferred.",
                                   "A customer stayed more than 7 days with an organisation the rules do not "
                                   "require."),
    Rule.REFERENCE_UNKNOWN: RuleInfo(L, "DOMAIN.md, access logs: log records hold by whom, with what authority and "
                                     "on whom (national cyber security centre guidance).",
                                     "An event names a user, customer, employer or organisation no event registers."),
})
"""CONTRACT §5, one row per rule: severity, legal basis, summary."""


def verdict(rule: Rule, *, at: datetime, explanation: str, org: str | None = None,
            user: str | None = None, subject: str | None = None) -> Verdict:
    """A :class:`Verdict` of ``rule`` for a fact at ``at``, judged by the rule set in force then."""
    info = RULES[rule]
    return Verdict(rule=rule, severity=info.severity, rule_set=rule_set_at(at).id, legal_basis=info.legal_basis,
                   explanation=explanation, org=org, user=user, subject=subject)


def finding_id(rule: StrEnum | str, event_id: str, subject: str | None) -> str:
    """The deterministic finding id of ``rule`` on ``event_id`` about ``subject`` (module docstring);
    a text ``rule`` must be a rule id of CONTRACT §5."""
    rule_id = rule.value if isinstance(rule, StrEnum) else Rule(rule).value
    text = f"lokikirja-finding/1|{rule_id}|{event_id.lower()}|{subject or ''}"
    return "f:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
