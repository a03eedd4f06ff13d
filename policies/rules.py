"""The rules of CONTRACT §5 as the rule book files them: what each judges and reads (ADR 0017).

The event-level rules are one function each over an :class:`~policies.rulebook.Act` (the fact and
what its judgement shares); the sequence rules are declared here and run by
:mod:`policies.monitoring` (``ACCESS_BULK``, over one user's views) and :mod:`policies.transfer`
(``TRANSFER_MISSED``, over one customer's history). :data:`RULE_BOOK` files them all, in the order
of CONTRACT §5. Adding a rule: a function here and one line in the book (docs/architecture.md).
"""

from __future__ import annotations

from datetime import datetime

from ledger.events import INGESTIBLE_TYPES, OrgKind, Rule
from policies import access, minimisation, monitoring
from policies.competence import TE_OFFICE, is_competent
from policies.customers import CustomerHistory
from policies.facts import Fact
from policies.language import wrong_decision_language
from policies.localtime import local_minute
from policies.orgs import OrgHistory
from policies.rulebook import ACTING, Act, Entity, EventRule, Reads, RuleBook, SequenceRule, Since
from policies.transfer import missed_transfers, missed_verdict, transfer_ineligibility
from policies.verdicts import Verdict, verdict


def _when(t: datetime) -> str:
    return local_minute(t) + " Helsinki time"


def _without_right(act: Act) -> list[Verdict]:
    fact, user = act.fact, act.user
    if user is None:
        return []
    history = act.world.user(user)
    if access.right_in_force(history, fact.at):
        return []
    d = fact.data
    if fact.type == "decision.made":
        what, subject = f"made decision {d['decision']} ({d['kind']}) on {d['customer']}", d["customer"]
    else:
        what, subject = f"viewed the record of {d['subject']}", d["subject"]
    why = "the user is not registered and holds no access right" if history is None or not history.registrations \
        else "no access right was in force"
    return [verdict(Rule.ACCESS_WITHOUT_RIGHT, at=fact.at, org=act.org, user=user, subject=subject,
                    explanation=f"{user} {what} on {_when(fact.at)}, but {why}.")]


def _outside_own_customers(act: Act) -> list[Verdict]:
    fact, user, org, subject = act.fact, act.user, act.org, act.fact.data["subject"]
    if user is None or not subject.startswith("c:"):
        return []
    customer = act.world.customer(subject)
    responsible = None if customer is None else customer.responsible_at(fact.at)
    if not access.outside_own_customers(org, responsible, act.world.orgs):
        return []
    whose = f"the customer of {responsible}" if responsible else "nobody's customer (not registered)"
    return [verdict(Rule.ACCESS_OUTSIDE_OWN_CUSTOMERS, at=fact.at, org=org, user=user, subject=subject,
                    explanation=f"{user} of {org} viewed the record of {subject}, who was {whose} at the "
                                f"time, not {org}'s.")]


def _own_record(act: Act) -> list[Verdict]:
    fact, user, subject = act.fact, act.user, act.fact.data["subject"]
    if user is None or not subject.startswith("c:"):
        return []
    customer, viewer = act.world.customer(subject), act.world.user(user)
    if customer is None or viewer is None or not access.is_own_record(viewer.hetu_index, customer.hetu_index):
        return []
    return [verdict(Rule.ACCESS_OWN_RECORD, at=fact.at, org=act.org, user=user, subject=subject,
                    explanation=f"{user} viewed customer record {subject}, which has the user's own personal "
                                "identity code.")]


def _excess_categories(act: Act) -> list[Verdict]:
    fact = act.fact
    subject, purpose = fact.data["subject"], fact.data["purpose"]
    excess = minimisation.excess_categories(purpose, fact.data["categories"])
    if not excess:
        return []
    names = ", ".join(c.value for c in excess)
    return [verdict(Rule.ACCESS_EXCESS_CATEGORIES, at=fact.at, org=act.org, user=act.user, subject=subject,
                    explanation=f"A view of {subject} for {purpose} took {names}, which {purpose} does not "
                                "need.")]


def _off_hours(act: Act) -> list[Verdict]:
    fact = act.fact
    reason = monitoring.off_hours_reason(fact.at)
    if reason is None:
        return []
    subject = fact.data["subject"]
    return [verdict(Rule.ACCESS_OFF_HOURS, at=fact.at, org=act.org, user=act.user, subject=subject,
                    explanation=f"{fact.actor} viewed the record of {subject} on {_when(fact.at)}, {reason}.")]


def _wrong_authority(act: Act) -> list[Verdict]:
    fact, org, competence = act.fact, act.org, act.competence
    if org is None or competence is None or is_competent(org, competence, act.world.orgs):
        return []
    d = fact.data
    who = "a TE office" if competence.authority == TE_OFFICE else competence.authority
    return [verdict(Rule.DECISION_WRONG_AUTHORITY, at=fact.at, org=org, user=act.user, subject=d["customer"],
                    explanation=f"{org} made decision {d['decision']} ({d['kind']}) on {d['customer']}, but {who} "
                                f"was competent: {competence.reason} (rule set {competence.rule_set.id}).")]


def _decision_language(act: Act) -> list[Verdict]:
    fact, d = act.fact, act.fact.data
    customer = act.world.customer(d["customer"])
    attrs = None if customer is None else customer.attributes_at(fact.at)
    if attrs is None or not wrong_decision_language(attrs.language, d["language"]):
        return []
    return [verdict(Rule.DECISION_LANGUAGE, at=fact.at, org=act.org, user=act.user, subject=d["customer"],
                    explanation=f"Decision {d['decision']} on {d['customer']} was given in {d['language']} "
                                f"although the customer's language is {attrs.language.value}.")]


def _grant_unauthorised(act: Act) -> list[Verdict]:
    fact, user, org = act.fact, act.user, act.org
    if act.world.orgs.kind(org) is OrgKind.KEHA:
        return []
    by = f"{user}, a user of {org}" if user and org else f"{user}, an unregistered user" if user \
        else f"the source system {fact.actor}"
    return [verdict(Rule.GRANT_UNAUTHORISED, at=fact.at, org=org, user=user,
                    explanation=f"An access right for {fact.data['user']} was granted by {by}, not by a KEHA "
                                "user.")]


def _grant_not_necessary(act: Act) -> list[Verdict]:
    fact, target = act.fact, act.fact.data["user"]
    history = act.world.user(target)
    if history is None or history.main_duties_at(fact.at) is not False:
        return []
    target_org = history.org_at(fact.at)
    return [verdict(Rule.GRANT_NOT_NECESSARY, at=fact.at, org=target_org, user=act.user,
                    explanation=f"An access right was granted to {target} of {target_org}, whose main duties "
                                "are not the Act's tasks.")]


def _transfer_ineligible(act: Act) -> list[Verdict]:
    fact, d = act.fact, act.fact.data
    customer = act.world.customer(d["customer"])
    why = None if customer is None else transfer_ineligibility(customer, d["to"], act.world.orgs, fact.at)
    if why is None:
        return []
    return [verdict(Rule.TRANSFER_INELIGIBLE, at=fact.at, org=d["to"], user=act.user, subject=d["customer"],
                    explanation=f"{d['customer']} was transferred from {d['from']} to {d['to']} on "
                                f"{_when(fact.at)} although {why}.")]


def _subject(fact: Fact) -> str | None:
    for field in ("customer", "subject", "employer"):
        value = fact.data.get(field)
        if isinstance(value, str) and value.startswith(("c:", "e:")):
            return value
    return None


def _reference_unknown(act: Act) -> list[Verdict]:
    fact = act.fact
    if not act.unknown:
        return []
    return [verdict(Rule.REFERENCE_UNKNOWN, at=fact.at, org=act.org, user=act.user, subject=_subject(fact),
                    explanation=f"The {fact.type} event names {', '.join(act.unknown)}, which no event "
                                "registers.")]


_VIEW, _DECISION = frozenset({"record.viewed"}), frozenset({"decision.made"})
_GRANT, _TRANSFER = frozenset({"access.granted"}), frozenset({"customer.transferred"})
_VIEWED_CUSTOMER = Reads(Entity.CUSTOMER, "subject")
_DECIDED_CUSTOMER = Reads(Entity.CUSTOMER, "customer")
COMPETENCE_READS = (_DECIDED_CUSTOMER, Reads(Entity.EMPLOYER, "employer", Since.ALWAYS),
                    Reads(Entity.ORGANISATIONS, where=(("kind", "pay_subsidy"),)))
"""What competence (CONTRACT §4) reads beyond the actor: the customer's responsible organisation,
the employer's municipality (any registration: the earliest answers before the first) and, for a
pay subsidy only, whether an area holds that municipality."""


EVENT_RULES: tuple[EventRule, ...] = (
    EventRule(Rule.ACCESS_WITHOUT_RIGHT, _VIEW | _DECISION, (ACTING,), _without_right),
    EventRule(Rule.ACCESS_OUTSIDE_OWN_CUSTOMERS, _VIEW, (ACTING, _VIEWED_CUSTOMER), _outside_own_customers),
    EventRule(Rule.ACCESS_EXCESS_CATEGORIES, _VIEW, (), _excess_categories),
    EventRule(Rule.ACCESS_OWN_RECORD, _VIEW, (ACTING, _VIEWED_CUSTOMER), _own_record),
    EventRule(Rule.ACCESS_OFF_HOURS, _VIEW, (), _off_hours),
    EventRule(Rule.GRANT_UNAUTHORISED, _GRANT, (ACTING,), _grant_unauthorised),
    EventRule(Rule.GRANT_NOT_NECESSARY, _GRANT, (Reads(Entity.USER, "user"),), _grant_not_necessary),
    EventRule(Rule.DECISION_WRONG_AUTHORITY, _DECISION, (ACTING, *COMPETENCE_READS), _wrong_authority),
    EventRule(Rule.DECISION_LANGUAGE, _DECISION, (_DECIDED_CUSTOMER,), _decision_language),
    EventRule(Rule.TRANSFER_INELIGIBLE, _TRANSFER, (Reads(Entity.CUSTOMER, "customer"), Reads(Entity.ORGANISATIONS)),
              _transfer_ineligible),
    EventRule(Rule.REFERENCE_UNKNOWN, frozenset(INGESTIBLE_TYPES), (Reads(Entity.REGISTRATIONS),),
              _reference_unknown),
)


"""The event-level rules of CONTRACT §5, in its order."""


def _missed(customer: CustomerHistory, orgs: OrgHistory,
            horizon: datetime | None) -> list[tuple[str, datetime, Verdict]]:
    return [(e.event, e.start, missed_verdict(e, customer)) for e in missed_transfers(customer, orgs, horizon)]


SEQUENCE_RULES: tuple[SequenceRule, ...] = (
    SequenceRule(Rule.ACCESS_BULK, Entity.USER, (ACTING,)),
    SequenceRule(Rule.TRANSFER_MISSED, Entity.CUSTOMER, (Reads(Entity.ORGANISATIONS), Reads(Entity.HORIZON)),
                 _missed),
)
"""The sequence rules of CONTRACT §5: ``ACCESS_BULK`` over one user's views (its verdicts name the
viewer's organisation), ``TRANSFER_MISSED`` over one customer's history, the areas' municipalities
and the horizon."""

RULE_BOOK = RuleBook(EVENT_RULES, SEQUENCE_RULES)
"""The rules in force in this process."""
