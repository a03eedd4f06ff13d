"""Judging one fact by the event-level rules of CONTRACT §5.

:func:`judge` takes a :class:`~policies.facts.Fact` (id, type, at, actor, data as stored,
hetu_index) and a :class:`~policies.history.World`, and returns the verdicts of every event-level
rule the fact breaks. The sequence rules have their own functions: ``ACCESS_BULK`` in
:mod:`policies.monitoring`, ``TRANSFER_MISSED`` in :mod:`policies.transfer`.

=============================  ========================================================
fact type                      rules
=============================  ========================================================
``record.viewed``              ACCESS_WITHOUT_RIGHT, ACCESS_OUTSIDE_OWN_CUSTOMERS,
                               ACCESS_EXCESS_CATEGORIES, ACCESS_OWN_RECORD, ACCESS_OFF_HOURS
``decision.made``              ACCESS_WITHOUT_RIGHT, DECISION_WRONG_AUTHORITY, DECISION_LANGUAGE
``access.granted``             GRANT_UNAUTHORISED, GRANT_NOT_NECESSARY
``customer.transferred``       TRANSFER_INELIGIBLE
every contract type            REFERENCE_UNKNOWN
=============================  ========================================================

The ledger's own types (``ledger.queried``, ``finding.reviewed``, ``subject.erased``) are not
judged. Each verdict's ``user`` is the ``u:`` actor (``None`` for a ``system:`` actor); ``org`` is
the actor's organisation at ``at`` (:func:`acting_org`), except: ``GRANT_NOT_NECESSARY`` names the
organisation of the user who received the unnecessary right, and ``TRANSFER_INELIGIBLE`` names the
area the customer was transferred to. ``subject`` is the customer or employer the fact is about.

Facts naming an unknown customer are not judged by the rules that need the customer's state
(language, transfer eligibility, own record); an unknown user has no access right and no
organisation. Both are ``REFERENCE_UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from ledger.events import LEDGER_TYPES, OrgKind, Rule
from policies import access, minimisation, monitoring
from policies.competence import TE_OFFICE, Competence, competence_for, is_competent
from policies.facts import Fact
from policies.history import World
from policies.language import wrong_decision_language
from policies.localtime import local_minute
from policies.transfer import transfer_ineligibility
from policies.verdicts import Verdict, finding_id, verdict

__all__ = ["DecisionOutcome", "Fact", "acting_org", "competence_of", "competent_authority", "decision_outcome",
           "finding_id", "judge", "unknown_references"]

_REFERENCE_FIELDS = frozenset({"user", "customer", "subject", "employer", "org", "from", "to", "te_office"})
_ENTITY_PREFIXES = ("u:", "c:", "e:", "area:", "te:")
_ORGS = frozenset({"keha", "avi", "tem"})
_RULE_ORDER = {rule: i for i, rule in enumerate(Rule)}


def _user(actor: str) -> str | None:
    return actor if actor.startswith("u:") else None


def _when(t: datetime) -> str:
    return local_minute(t) + " Helsinki time"


def acting_org(fact: Fact, world: World) -> str | None:
    """The actor's organisation at the fact's ``at``; ``None`` for a ``system:`` or unknown actor."""
    user = _user(fact.actor)
    history = world.user(user) if user else None
    return None if history is None else history.org_at(fact.at)


def unknown_references(fact: Fact, world: World) -> list[str]:
    """The users (the ``u:`` actor included), customers, employers and organisations the fact
    names that no event registers, sorted."""
    if fact.type in LEDGER_TYPES:
        return []
    registered = world.registered
    unknown = [fact.actor] if fact.actor.startswith("u:") and not registered(fact.actor) else []
    # the data's own fields are fewer than the reference fields: walk those
    for field, value in fact.data.items():
        if field in _REFERENCE_FIELDS and isinstance(value, str) \
                and (value.startswith(_ENTITY_PREFIXES) or value in _ORGS) and not registered(value):
            unknown.append(value)
    return sorted(set(unknown)) if unknown else []


def competence_of(fact: Fact, world: World) -> Competence:
    """Who was competent for a ``decision.made`` fact (CONTRACT §4), and why."""
    if fact.type != "decision.made":
        raise ValueError("competence is defined for decision.made facts only")
    customer = world.customer(fact.data["customer"])
    responsible = None if customer is None else customer.responsible_at(fact.at)
    employer_id = fact.data.get("employer")
    employer = world.employer(employer_id) if employer_id else None
    return competence_for(fact.data["kind"], responsible=responsible, at=fact.at, orgs=world.orgs,
                          employer_municipality=None if employer is None else employer.municipality_at(fact.at))


def competent_authority(fact: Fact, world: World) -> tuple[str, str]:
    """``(authority, rule set id)`` for a decision: an area id or ``"te_office"`` (any TE office)."""
    c = competence_of(fact, world)
    return (c.authority, c.rule_set.id)


@dataclass(frozen=True)
class DecisionOutcome:
    """A decision as a dispute reads it: the acting organisation, who was competent (an area id or
    ``"a TE office"``), the rule set, and whether it was lawful."""

    org: str | None
    competent: str
    rule_set: str
    lawful: bool


def decision_outcome(fact: Fact, world: World, found: Collection[str]) -> DecisionOutcome:
    """A ``decision.made`` fact's outcome given the rules ``found`` on it. Lawful: made by a user
    with an access right in force, for the organisation competent at its moment, in the customer's
    language where the Language Act requires it (no ``DECISION_LANGUAGE``)."""
    competence = competence_of(fact, world)
    org = acting_org(fact, world)
    user = _user(fact.actor)
    history = world.user(user) if user else None
    right = history is not None and history.right_in_force(fact.at)
    lawful = bool(org is not None and is_competent(org, competence, world.orgs) and right
                  and Rule.DECISION_LANGUAGE.value not in found)
    competent = "a TE office" if competence.authority == TE_OFFICE else competence.authority
    return DecisionOutcome(org, competent, competence.rule_set.id, lawful)


def _without_right(fact: Fact, world: World, what: str, subject: str | None) -> list[Verdict]:
    user = _user(fact.actor)
    if user is None:
        return []
    history = world.user(user)
    if access.right_in_force(history, fact.at):
        return []
    why = "the user is not registered and holds no access right" if history is None or not history.registrations \
        else "no access right was in force"
    return [verdict(Rule.ACCESS_WITHOUT_RIGHT, at=fact.at, org=acting_org(fact, world), user=user, subject=subject,
                    explanation=f"{user} {what} on {_when(fact.at)}, but {why}.")]


def _view_of_customer(fact: Fact, world: World, org: str | None) -> list[Verdict]:
    user, subject = _user(fact.actor), fact.data["subject"]
    if user is None or not subject.startswith("c:"):
        return []
    out: list[Verdict] = []
    customer = world.customer(subject)
    responsible = None if customer is None else customer.responsible_at(fact.at)
    if access.outside_own_customers(org, responsible, world.orgs):
        whose = f"the customer of {responsible}" if responsible else "nobody's customer (not registered)"
        out.append(verdict(Rule.ACCESS_OUTSIDE_OWN_CUSTOMERS, at=fact.at, org=org, user=user, subject=subject,
                           explanation=f"{user} of {org} viewed the record of {subject}, who was {whose} at the "
                                       f"time, not {org}'s."))
    viewer = world.user(user)
    if customer is not None and viewer is not None and access.is_own_record(viewer.hetu_index, customer.hetu_index):
        out.append(verdict(Rule.ACCESS_OWN_RECORD, at=fact.at, org=org, user=user, subject=subject,
                           explanation=f"{user} viewed customer record {subject}, which has the user's own personal "
                                       "identity code."))
    return out


def _viewed(fact: Fact, world: World) -> list[Verdict]:
    subject, purpose = fact.data["subject"], fact.data["purpose"]
    org, user = acting_org(fact, world), _user(fact.actor)
    out = _without_right(fact, world, f"viewed the record of {subject}", subject)
    out += _view_of_customer(fact, world, org)
    excess = minimisation.excess_categories(purpose, fact.data["categories"])
    if excess:
        names = ", ".join(c.value for c in excess)
        out.append(verdict(Rule.ACCESS_EXCESS_CATEGORIES, at=fact.at, org=org, user=user, subject=subject,
                           explanation=f"A view of {subject} for {purpose} took {names}, which {purpose} does not "
                                       "need."))
    reason = monitoring.off_hours_reason(fact.at)
    if reason is not None:
        out.append(verdict(Rule.ACCESS_OFF_HOURS, at=fact.at, org=org, user=user, subject=subject,
                           explanation=f"{fact.actor} viewed the record of {subject} on {_when(fact.at)}, "
                                       f"{reason}."))
    return out


def _decided(fact: Fact, world: World) -> list[Verdict]:
    d = fact.data
    customer_id, kind, decision = d["customer"], d["kind"], d["decision"]
    org, user = acting_org(fact, world), _user(fact.actor)
    out = _without_right(fact, world, f"made decision {decision} ({kind}) on {customer_id}", customer_id)
    competence = competence_of(fact, world)
    if org is not None and not is_competent(org, competence, world.orgs):
        who = "a TE office" if competence.authority == TE_OFFICE else competence.authority
        out.append(verdict(Rule.DECISION_WRONG_AUTHORITY, at=fact.at, org=org, user=user, subject=customer_id,
                           explanation=f"{org} made decision {decision} ({kind}) on {customer_id}, but {who} was "
                                       f"competent: {competence.reason} (rule set {competence.rule_set.id})."))
    customer = world.customer(customer_id)
    attrs = None if customer is None else customer.attributes_at(fact.at)
    if attrs is not None and wrong_decision_language(attrs.language, d["language"]):
        out.append(verdict(Rule.DECISION_LANGUAGE, at=fact.at, org=org, user=user, subject=customer_id,
                           explanation=f"Decision {decision} on {customer_id} was given in {d['language']} although "
                                       f"the customer's language is {attrs.language.value}."))
    return out


def _granted(fact: Fact, world: World) -> list[Verdict]:
    target, user, org = fact.data["user"], _user(fact.actor), acting_org(fact, world)
    out: list[Verdict] = []
    if world.orgs.kind(org) is not OrgKind.KEHA:
        by = f"{user}, a user of {org}" if user and org else f"{user}, an unregistered user" if user \
            else f"the source system {fact.actor}"
        out.append(verdict(Rule.GRANT_UNAUTHORISED, at=fact.at, org=org, user=user,
                           explanation=f"An access right for {target} was granted by {by}, not by a KEHA user."))
    history = world.user(target)
    if history is not None and history.main_duties_at(fact.at) is False:
        target_org = history.org_at(fact.at)
        out.append(verdict(Rule.GRANT_NOT_NECESSARY, at=fact.at, org=target_org, user=user,
                           explanation=f"An access right was granted to {target} of {target_org}, whose main duties "
                                       "are not the Act's tasks."))
    return out


def _transferred(fact: Fact, world: World) -> list[Verdict]:
    d = fact.data
    customer = world.customer(d["customer"])
    why = None if customer is None else transfer_ineligibility(customer, d["to"], world.orgs, fact.at)
    if why is None:
        return []
    return [verdict(Rule.TRANSFER_INELIGIBLE, at=fact.at, org=d["to"], user=_user(fact.actor),
                    subject=d["customer"],
                    explanation=f"{d['customer']} was transferred from {d['from']} to {d['to']} on "
                                f"{_when(fact.at)} although {why}.")]


_BY_TYPE: dict[str, Callable[[Fact, World], list[Verdict]]] = {
    "record.viewed": _viewed,
    "decision.made": _decided,
    "access.granted": _granted,
    "customer.transferred": _transferred,
}


def _subject(fact: Fact) -> str | None:
    for field in ("customer", "subject", "employer"):
        value = fact.data.get(field)
        if isinstance(value, str) and value.startswith(("c:", "e:")):
            return value
    return None


def judge(fact: Fact, world: World) -> list[Verdict]:
    """The verdicts of every event-level rule (CONTRACT §5) the fact breaks, in rule order."""
    if fact.type in LEDGER_TYPES:
        return []
    rule = _BY_TYPE.get(fact.type)
    out = rule(fact, world) if rule else []
    unknown = unknown_references(fact, world)
    if unknown:
        out.append(verdict(Rule.REFERENCE_UNKNOWN, at=fact.at, org=acting_org(fact, world),
                           user=_user(fact.actor), subject=_subject(fact),
                           explanation=f"The {fact.type} event names {', '.join(unknown)}, which no event "
                                       "registers."))
    return sorted(out, key=lambda v: _RULE_ORDER[v.rule])
