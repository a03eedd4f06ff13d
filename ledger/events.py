"""The event vocabulary of the contract (CONTRACT §1): the one place that defines it.

Every event type is a frozen pydantic v2 model with ``extra="forbid"``. Identifiers, HETU and
business-id check characters, RFC 3339 times with an offset and ISO dates are validated here;
nothing else in Lokikirja re-declares these names. ``policies/`` imports this module and nothing
else of ``ledger``.

Parse a line of JSON with :func:`parse_event`; it raises ``pydantic.ValidationError``.

Codes are ASCII (``[0-9]``, never ``\\d``); dates lie between 1800-01-01 and 2199-12-31; free text
(names, reasons, purposes, notes) is held to :data:`TEXT_LIMITS` and screened for personal identity
codes by :func:`ledger.identifiers.screen_free_text`; lists to :data:`LIST_LIMITS` (docs/input.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias, TypeVar, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from ledger import identifiers as ids

# --------------------------------------------------------------------------- enumerations


class OrgKind(StrEnum):
    EXPERIMENT_AREA = "experiment_area"
    TE_OFFICE = "te_office"
    KEHA = "keha"
    AVI = "avi"
    TEM = "tem"


class OfficialLanguage(StrEnum):
    """Languages an organisation serves in: Finnish, Swedish, Sámi."""

    FI = "fi"
    SV = "sv"
    SE = "se"


class Language(StrEnum):
    """A customer's language or a decision's language."""

    FI = "fi"
    SV = "sv"
    SE = "se"
    OTHER = "other"


class TransferReason(StrEnum):
    EXPERIMENT_START = "experiment_start"
    BECAME_ELIGIBLE = "became_eligible"
    MOVED_IN = "moved_in"
    MOVED_OUT = "moved_out"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    EXPERIMENT_END = "experiment_end"
    LINGUISTIC_RIGHTS = "linguistic_rights"
    INAPPROPRIATE_RELATIONSHIP = "inappropriate_relationship"
    SAFETY = "safety"
    CORRECTION = "correction"


class WithheldReason(StrEnum):
    LINGUISTIC_RIGHTS = "linguistic_rights"
    INAPPROPRIATE_RELATIONSHIP = "inappropriate_relationship"
    OTHER_JUSTIFIED = "other_justified"


class Purpose(StrEnum):
    """Task codes a record view is made for (CONTRACT §3)."""

    SERVICE_GUIDANCE = "service_guidance"
    PAY_SUBSIDY = "pay_subsidy"
    START_UP_GRANT = "start_up_grant"
    TRAVEL_COMPENSATION = "travel_compensation"
    EXPENSE_ALLOWANCE = "expense_allowance"
    SELF_STUDY_SUPPORT = "self_study_support"
    LABOUR_POLICY_STATEMENT = "labour_policy_statement"
    JOBSEEKER_PRESENTATION = "jobseeker_presentation"
    VACANCY_HANDLING = "vacancy_handling"
    EMPLOYER_SERVICE = "employer_service"


class Category(StrEnum):
    """Data categories of the customer and employer registers (CONTRACT §3)."""

    IDENTITY = "identity"
    CONTACT = "contact"
    JOBSEEKER_STATUS = "jobseeker_status"
    EMPLOYMENT_HISTORY = "employment_history"
    EDUCATION = "education"
    SERVICE_PLAN = "service_plan"
    BENEFITS = "benefits"
    HEALTH = "health"
    LANGUAGE_SKILLS = "language_skills"
    EMPLOYER_BASIC = "employer_basic"
    EMPLOYER_SERVICE_PROFILE = "employer_service_profile"
    EMPLOYER_CONTACTS = "employer_contacts"
    EMPLOYER_DESCRIPTION = "employer_description"
    EMPLOYER_PLACEMENTS = "employer_placements"
    EMPLOYER_DECISIONS = "employer_decisions"


CUSTOMER_CATEGORIES: frozenset[Category] = frozenset(
    c for c in Category if not c.value.startswith("employer_")
)
EMPLOYER_CATEGORIES: frozenset[Category] = frozenset(
    c for c in Category if c.value.startswith("employer_")
)


class DecisionKind(StrEnum):
    """Kinds of decision and labour-policy statement (CONTRACT §4)."""

    PAY_SUBSIDY = "pay_subsidy"
    START_UP_GRANT = "start_up_grant"
    TRAVEL_COMPENSATION = "travel_compensation"
    EXPENSE_ALLOWANCE = "expense_allowance"
    SELF_STUDY_SUPPORT = "self_study_support"
    SELF_STUDY_SUPPORT_END = "self_study_support_end"
    STATEMENT_SERVICE_PARTICIPATION = "statement_service_participation"
    STATEMENT_STUDY_INTERRUPTION = "statement_study_interruption"
    STATEMENT_SELF_STUDY_INTERRUPTION = "statement_self_study_interruption"
    STATEMENT_STUDY_MONITORING = "statement_study_monitoring"
    STATEMENT_UNEMPLOYMENT = "statement_unemployment"
    STATEMENT_STUDIES_EFFECT = "statement_studies_effect"
    STATEMENT_ENTREPRENEURSHIP_EFFECT = "statement_entrepreneurship_effect"
    STATEMENT_REPREHENSIBLE_CONDUCT = "statement_reprehensible_conduct"
    TRAINING_SELECTION = "training_selection"


class Outcome(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    ENDED = "ended"
    ISSUED = "issued"


class ComplaintTopic(StrEnum):
    DATA_PROTECTION = "data_protection"
    EQUAL_TREATMENT = "equal_treatment"
    LANGUAGE = "language"
    OTHER = "other"


class ReviewVerdict(StrEnum):
    JUSTIFIED = "justified"
    VIOLATION = "violation"


class Rule(StrEnum):
    """Rule ids of CONTRACT §5 (the rules themselves live in ``policies/``)."""

    ACCESS_WITHOUT_RIGHT = "ACCESS_WITHOUT_RIGHT"
    ACCESS_OUTSIDE_OWN_CUSTOMERS = "ACCESS_OUTSIDE_OWN_CUSTOMERS"
    ACCESS_EXCESS_CATEGORIES = "ACCESS_EXCESS_CATEGORIES"
    ACCESS_OWN_RECORD = "ACCESS_OWN_RECORD"
    ACCESS_BULK = "ACCESS_BULK"
    ACCESS_OFF_HOURS = "ACCESS_OFF_HOURS"
    GRANT_UNAUTHORISED = "GRANT_UNAUTHORISED"
    GRANT_NOT_NECESSARY = "GRANT_NOT_NECESSARY"
    DECISION_WRONG_AUTHORITY = "DECISION_WRONG_AUTHORITY"
    DECISION_LANGUAGE = "DECISION_LANGUAGE"
    TRANSFER_INELIGIBLE = "TRANSFER_INELIGIBLE"
    TRANSFER_MISSED = "TRANSFER_MISSED"
    REFERENCE_UNKNOWN = "REFERENCE_UNKNOWN"


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# --------------------------------------------------------------------------- field types

_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FAST_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2}|Z)")
FIRST_DATE, LAST_DATE = date(1800, 1, 1), date(2199, 12, 31)
"""The dates a ``birth_date``, ``valid_from`` or ``valid_until`` may name (the supported times of
``ledger/validtime``)."""

TEXT_LIMITS: dict[str, int] = {
    "name": 300,  # an organisation's, a customer's or an employer's name
    "reason": 500,  # why access was revoked, a customer deregistered, a subject erased, a case closed
    "purpose": 500,  # why the ledger was queried (--purpose, HTTP purpose)
    "note": 2000,  # a DPO's or AVI's note on a finding
    "command": 64,  # the command that queried the ledger
}
"""The most characters (Unicode code points) each free-text field may hold, at every door."""
LIST_LIMITS: dict[str, int] = {
    "languages": 3,  # fi, sv, se
    "municipalities": 100,  # an area has had at most 22; Finland has some 300 in all
    "categories": 15,  # every data category once
    "case_findings": 500,  # the findings chosen for an inspection case (one page of the findings list)
}
"""The most items each list field may hold, at every door."""

# Descriptions of the identifier patterns, for error messages ("data.subject: is not …").
PATTERN_DESCRIPTIONS: dict[str, str] = {}


def rfc3339_text(value: str) -> str:
    """A valid RFC 3339 time written the one way: ``T`` between date and time, ``Z`` in upper case
    (RFC 3339 allows ``t``, ``z`` and a space); digits, offset and precision as given."""
    return (value[:10] + "T" + value[11:]).upper()


def _rfc3339(value: Any) -> datetime:
    """An RFC 3339 time with an offset, checked exactly (seconds required), offset kept."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("time needs an offset (RFC 3339, e.g. 2022-03-14T09:12:00+02:00)")
        return value
    if not isinstance(value, str):
        raise ValueError("is not an RFC 3339 time with an offset, e.g. 2022-03-14T09:12:00+02:00")
    text = value
    if _FAST_RFC3339.fullmatch(value) is None:
        if _RFC3339.fullmatch(value) is None:
            raise ValueError("is not an RFC 3339 time with an offset, e.g. 2022-03-14T09:12:00+02:00")
        text = rfc3339_text(value)
        if "." in text:  # Python parses at most 6 fractional digits
            head, _, rest = text.partition(".")
            digits = re.match(r"[0-9]+", rest)
            assert digits is not None
            text = f"{head}.{digits[0][:6].ljust(6, '0')}{rest[digits.end():]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("names a date or time that does not exist") from None


def _iso_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _ISO_DATE.fullmatch(value) is None:
        raise ValueError("is not a date of the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("names a date that does not exist") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"is not a date between {FIRST_DATE} and {LAST_DATE}")
    return day


def _matching(pattern: str, what: str) -> Any:
    """A string constraint checked natively by pydantic-core; ``what`` names it in errors."""
    anchored = f"^(?:{pattern})$"
    PATTERN_DESCRIPTIONS[anchored] = f"is not {what}"
    return StringConstraints(pattern=anchored)


def _employer_check(value: str) -> str:
    if value.startswith("e:"):
        ids.validate_business_id(value[2:])
    return value


_HETU_SHAPED = re.compile(r"c:[0-9]{6}[-+a-fu-y][0-9]{3}[0-9a-y]", re.IGNORECASE)


def _not_a_hetu(value: str) -> str:
    """CONTRACT §1: a customer id is opaque, never a HETU (the message never repeats it)."""
    if _HETU_SHAPED.fullmatch(value):
        raise ValueError("is shaped like a personal identity code (HETU); a customer id must be opaque")
    return value


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out but may not be null")
    return value


_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_EMPLOYER = r"e:[0-9]{7}-[0-9]"

Instant = Annotated[datetime, BeforeValidator(_rfc3339)]
Day = Annotated[date, BeforeValidator(_iso_date)]
EventId = Annotated[str, _matching(_UUID, "a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")]
OrgId = Annotated[str, _matching(ids.ORG_RE.pattern, "an organisation id (area:…, te:…, keha, avi, tem)")]
AreaId = Annotated[str, _matching(rf"area:{ids.SLUG}", "an experiment area id area:<slug>")]
TeOfficeId = Annotated[str, _matching(rf"te:{ids.SLUG}", "a TE office id te:<slug>")]
UserId = Annotated[str, _matching(ids.USER_RE.pattern, "a user id of the form u:<token>")]
CustomerId = Annotated[str, _matching(ids.CUSTOMER_RE.pattern, "a customer id of the form c:<token>"),
                      AfterValidator(_not_a_hetu)]
EmployerId = Annotated[str, _matching(_EMPLOYER, "an employer id of the form e:NNNNNNN-C"),
                      AfterValidator(_employer_check)]
SubjectId = Annotated[str, _matching(f"{ids.CUSTOMER_RE.pattern}|{_EMPLOYER}",
                                     "a customer id c:<token> or an employer id e:NNNNNNN-C"),
                      AfterValidator(_employer_check), AfterValidator(_not_a_hetu)]
DecisionId = Annotated[str, _matching(ids.DECISION_RE.pattern, "a decision id of the form d:<token>")]
VacancyId = Annotated[str, _matching(ids.VACANCY_RE.pattern, "a vacancy id of the form v:<token>")]
ComplaintId = Annotated[str, _matching(ids.COMPLAINT_RE.pattern, "a complaint id of the form k:<token>")]
ActorId = Annotated[str, _matching(f"{ids.USER_RE.pattern}|{ids.SYSTEM_ACTOR_RE.pattern}",
                                   "a user id u:<token> or a source system system:<name>")]
Municipality = Annotated[str, _matching(ids.MUNICIPALITY_RE.pattern, "a 3-digit municipality code")]
Hetu = Annotated[str, AfterValidator(ids.validate_hetu)]
PATTERN_DESCRIPTIONS[r"\S"] = "may not be empty"


def _screened(field: str) -> AfterValidator:
    """Free text of the field ``field``: at most its limit, no personal identity code."""
    limit = TEXT_LIMITS[field]
    return AfterValidator(lambda value: ids.screen_free_text(value, limit=limit))


def _at_most(field: str) -> Any:
    return Field(min_length=1, max_length=LIST_LIMITS[field])


_NOT_BLANK = StringConstraints(pattern=r"\S")
Name = Annotated[str, _NOT_BLANK, _screened("name")]
Reason = Annotated[str, _NOT_BLANK, _screened("reason")]
QueryPurpose = Annotated[str, _NOT_BLANK, _screened("purpose")]
Note = Annotated[str, _NOT_BLANK, _screened("note")]
CommandName = Annotated[str, _NOT_BLANK, _screened("command")]

_T = TypeVar("_T")
Absent: TypeAlias = Annotated[_T | None, BeforeValidator(_not_null)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


# --------------------------------------------------------------------------- data of each type


class OrganisationRegistered(_Model):
    org: OrgId
    kind: OrgKind
    name: Name
    languages: Annotated[list[OfficialLanguage], _at_most("languages")]
    te_office: Absent[TeOfficeId] = None
    municipalities: Absent[Annotated[list[Municipality], Field(max_length=LIST_LIMITS["municipalities"])]] = None

    @model_validator(mode="after")
    def _kind_matches(self) -> OrganisationRegistered:
        if ids.org_kind_of(self.org) != self.kind.value:
            raise ValueError(f"kind {self.kind.value} does not match the organisation id's prefix")
        if self.kind is OrgKind.EXPERIMENT_AREA:
            if self.te_office is None or self.municipalities is None:
                raise ValueError("an experiment area needs te_office and municipalities")
        elif self.te_office is not None or self.municipalities is not None:
            raise ValueError("te_office and municipalities are for experiment areas only")
        return self


class AreaMunicipalityJoined(_Model):
    org: AreaId
    municipality: Municipality


class AreaMunicipalityLeft(_Model):
    org: AreaId
    municipality: Municipality


class UserRegistered(_Model):
    user: UserId
    org: OrgId
    main_duties_under_act: StrictBool
    hetu: Absent[Hetu] = None


class AccessGranted(_Model):
    user: UserId
    valid_from: Day
    valid_until: Absent[Day] = None

    @model_validator(mode="after")
    def _ordered(self) -> AccessGranted:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class AccessRevoked(_Model):
    user: UserId
    reason: Reason


class CustomerRegistered(_Model):
    customer: CustomerId
    hetu: Hetu
    name: Absent[Name] = None
    org: OrgId
    home_municipality: Municipality
    birth_date: Day
    earnings_related_eligible: StrictBool
    immigrant_or_foreign_language: StrictBool
    language: Language


class CustomerChanged(_Model):
    customer: CustomerId
    home_municipality: Absent[Municipality] = None
    earnings_related_eligible: Absent[StrictBool] = None
    immigrant_or_foreign_language: Absent[StrictBool] = None
    language: Absent[Language] = None
    name: Absent[Name] = None


class CustomerTransferred(_Model):
    model_config = ConfigDict(populate_by_name=True)
    customer: CustomerId
    from_: OrgId = Field(alias="from")
    to: OrgId
    reason: TransferReason


class CustomerTransferWithheld(_Model):
    customer: CustomerId
    reason: WithheldReason


class CustomerDeregistered(_Model):
    customer: CustomerId
    reason: Reason


class EmployerRegistered(_Model):
    employer: EmployerId
    name: Name
    municipality: Absent[Municipality] = None


class RecordViewed(_Model):
    subject: SubjectId
    purpose: Purpose
    categories: Annotated[list[Category], _at_most("categories")]


class DecisionMade(_Model):
    decision: DecisionId
    kind: DecisionKind
    customer: CustomerId
    employer: Absent[EmployerId] = None
    outcome: Outcome
    language: Language

    @model_validator(mode="after")
    def _pay_subsidy_names_employer(self) -> DecisionMade:
        if self.kind is DecisionKind.PAY_SUBSIDY and self.employer is None:
            raise ValueError("a pay_subsidy decision needs employer")
        return self


class VacancyPublished(_Model):
    vacancy: VacancyId
    employer: EmployerId


class JobseekerPresented(_Model):
    customer: CustomerId
    employer: EmployerId
    vacancy: Absent[VacancyId] = None


class ComplaintFiled(_Model):
    complaint: ComplaintId
    org: OrgId
    topic: ComplaintTopic


# Types the ledger writes itself (never ingested).


class LedgerQueried(_Model):
    """Every query of personal data: who asked, about what, for which purpose."""

    command: CommandName
    purpose: QueryPurpose
    subject: Absent[str] = None
    user: Absent[str] = None
    hetu_index: Absent[str] = None
    via: Absent[str] = None
    refused: Absent[StrictBool] = None


class FindingReviewed(_Model):
    finding: Annotated[str, _matching(r"f:[0-9a-f]{16,64}", "a finding id f:<hex>")]
    verdict: ReviewVerdict
    note: Note


FindingId = Annotated[str, _matching(r"f:[0-9a-f]{16,64}", "a finding id f:<hex>")]
CaseId = Annotated[str, _matching(r"i:[0-9a-f]{32}", "an inspection case id i:<32 hex digits>")]


class InspectionCaseOpened(_Model):
    """An AVI inspector's saved selection to come back to: the area, period and filters it was
    made with, the findings chosen and a first note (ADR 0018)."""

    case: CaseId
    title: Name
    org: Absent[AreaId] = None
    since: Absent[Day] = None
    until: Absent[Day] = None
    rule: Absent[Rule] = None
    user: Absent[UserId] = None
    findings: Absent[Annotated[list[FindingId], _at_most("case_findings")]] = None
    note: Absent[Note] = None


class InspectionCaseNoted(_Model):
    """A note added to an inspection case (and, optionally, more findings chosen for it)."""

    case: CaseId
    note: Note
    findings: Absent[Annotated[list[FindingId], _at_most("case_findings")]] = None


class InspectionCaseClosed(_Model):
    """An inspection case closed, with why; nothing is added to it after this (ADR 0018)."""

    case: CaseId
    reason: Reason


class SubjectErased(_Model):
    subject: CustomerId
    reason: Reason


class IndexCommitted(_Model):
    """The root of the subject index over the log's first ``tree_size`` leaves (ledger/subject_index)."""

    tree_size: Annotated[int, Field(ge=0)]
    root: Annotated[str, _matching(r"[0-9a-f]{64}", "a SHA-256 hash in lower-case hex")]
    subjects: Annotated[int, Field(ge=0)]


# --------------------------------------------------------------------------- envelopes

DATA_MODELS: dict[str, type[_Model]] = {
    "organisation.registered": OrganisationRegistered,
    "area.municipality_joined": AreaMunicipalityJoined,
    "area.municipality_left": AreaMunicipalityLeft,
    "user.registered": UserRegistered,
    "access.granted": AccessGranted,
    "access.revoked": AccessRevoked,
    "customer.registered": CustomerRegistered,
    "customer.changed": CustomerChanged,
    "customer.transferred": CustomerTransferred,
    "customer.transfer_withheld": CustomerTransferWithheld,
    "customer.deregistered": CustomerDeregistered,
    "employer.registered": EmployerRegistered,
    "record.viewed": RecordViewed,
    "decision.made": DecisionMade,
    "vacancy.published": VacancyPublished,
    "jobseeker.presented": JobseekerPresented,
    "complaint.filed": ComplaintFiled,
    "ledger.queried": LedgerQueried,
    "finding.reviewed": FindingReviewed,
    "subject.erased": SubjectErased,
    "ledger.index_committed": IndexCommitted,
    "inspection.case_opened": InspectionCaseOpened,
    "inspection.case_noted": InspectionCaseNoted,
    "inspection.case_closed": InspectionCaseClosed,
}
LEDGER_TYPES: frozenset[str] = frozenset({"ledger.queried", "finding.reviewed", "subject.erased",
                                          "ledger.index_committed", "inspection.case_opened",
                                          "inspection.case_noted", "inspection.case_closed"})
INGESTIBLE_TYPES: tuple[str, ...] = tuple(t for t in DATA_MODELS if t not in LEDGER_TYPES)

# Personal data fields, encrypted at rest under the subject's data key (see ledger/privacy).
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "customer.registered": ("hetu", "name"),
    "customer.changed": ("name",),
    "user.registered": ("hetu",),
}


class _Envelope(_Model):
    id: EventId
    at: Instant
    actor: ActorId


def _envelope(type_name: str, data_model: type[_Model]) -> type[_Envelope]:
    cls_name = "".join(p.capitalize() for p in re.split(r"[._]", type_name)) + "Event"
    return type(
        cls_name,
        (_Envelope,),
        {
            "__annotations__": {"type": Literal[type_name], "data": data_model},
            "__module__": __name__,
            "__doc__": f"A `{type_name}` event.",
        },
    )


ENVELOPES: dict[str, type[_Envelope]] = {t: _envelope(t, m) for t, m in DATA_MODELS.items()}

# The unions are built from the table above, so they are values to pydantic, not static types.
IngestibleEvent: Any = Annotated[
    Union[tuple(ENVELOPES[t] for t in INGESTIBLE_TYPES)],  # noqa: UP007
    Field(discriminator="type"),
]
AnyEvent: Any = Annotated[
    Union[tuple(ENVELOPES.values())],  # noqa: UP007
    Field(discriminator="type"),
]

_INGESTIBLE: TypeAdapter[Any] = TypeAdapter(IngestibleEvent)
_ANY: TypeAdapter[Any] = TypeAdapter(AnyEvent)


def parse_event(line: str | bytes) -> Any:
    """Validate one JSON line as an ingestible contract event; raises ``ValidationError``."""
    return _INGESTIBLE.validate_json(line)


def parse_any_event(obj: dict[str, Any]) -> Any:
    """Validate a Python mapping as any event type, the ledger's own included."""
    return _ANY.validate_python(obj)


def event_json(event: Any) -> dict[str, Any]:
    """The contract JSON object of a validated event (aliases such as ``from`` restored)."""
    out: dict[str, Any] = event.model_dump(mode="json", by_alias=True, exclude_none=True)
    return out
