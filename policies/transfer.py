"""Transfers: the organisation the rules require, ineligible transfers and missed transfers.

Legal source — DOMAIN.md, *The customer group*: the amended §5 (671/2022). The TE office transfers
a person who falls into the group **within 7 days**; when the home municipality changes, the area
transfers the customer on to the new area or back to the TE office; the TE office may lawfully
leave a person untransferred (``customer.transfer_withheld``).

**Required organisation** at t (:func:`required_org_at`), for a registered customer: the current
responsible organisation while a withholding is in force (until the customer's next transfer or
change, see :mod:`policies.customers`); otherwise the area whose municipality the home
municipality is, when a customer-group criterion holds (:mod:`policies.eligibility`); otherwise
"a TE office" (:data:`~policies.competence.TE_OFFICE`, any TE office matches).

**Episodes** (:func:`episodes`): maximal continuous periods, up to the horizon, in which the
customer is registered and the responsible organisation does not match the required one. The
requirement can change without any fact of the customer: at a 30th birthday (00:00 local) and when
an area gains or loses the home municipality; both are breakpoints. ``TRANSFER_MISSED`` is one
finding per episode lasting **more than** 7 days — closed, or still open at the horizon
(:func:`missed_transfers`).

**The event that began an episode**: the customer's last fact at the episode's start, if any;
else the organisation fact that changed the home municipality's area then; else (a 30th birthday)
the customer's latest fact before the start. Should two episodes fall to the same event, only the
first is reported (a finding's id is its rule, event and subject).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger.events import Rule
from policies.competence import TE_OFFICE
from policies.customers import CustomerHistory
from policies.eligibility import eligible_area, ineligibility, turns_30_at
from policies.localtime import local_minute, shifted
from policies.orgs import OrgHistory
from policies.verdicts import Verdict, verdict

TRANSFER_DEADLINE = timedelta(days=7)
"""An episode is a finding when it lasts strictly longer than this."""
_TICK = timedelta(microseconds=1)


def required_org_at(customer: CustomerHistory, orgs: OrgHistory, t: datetime) -> str | None:
    """The organisation the rules require to be responsible at t: an area id, :data:`TE_OFFICE`
    or, while a withholding is in force, the current one; ``None`` when not registered."""
    state = customer.state_at(t)
    if state is None or not state.registered or state.attributes is None:
        return None
    if state.withheld:
        return state.responsible
    return eligible_area(state.attributes, orgs, t) or TE_OFFICE


def satisfies(responsible: str | None, required: str | None, orgs: OrgHistory) -> bool:
    """True when ``responsible`` is what ``required`` asks for (any TE office for :data:`TE_OFFICE`)."""
    if required == TE_OFFICE:
        return orgs.is_te_office(responsible)
    return responsible == required


def transfer_ineligibility(customer: CustomerHistory, to: str, orgs: OrgHistory, t: datetime) -> str | None:
    """Why a transfer to ``to`` at t breaks ``TRANSFER_INELIGIBLE`` (a clause), or ``None``.

    Only transfers to an experiment area are judged; attributes are those in force at t.
    """
    attrs = customer.attributes_at(t)
    if attrs is None or not orgs.is_area(to):
        return None
    return ineligibility(attrs, to, orgs, t)


@dataclass(frozen=True, slots=True)
class Episode:
    """A period in which the customer's responsible organisation differs from the required one.

    ``end`` is ``None`` while the episode is still open at the horizon; ``responsible`` and
    ``required`` are as at ``start``; ``event`` is the id of the event that began it.
    """

    start: datetime
    end: datetime | None
    event: str
    responsible: str
    required: str

    def lasts_beyond_deadline(self, horizon: datetime | None) -> bool:
        """True when the episode lasted more than 7 days (an open one: up to ``horizon``)."""
        end = self.end if self.end is not None else horizon
        return end is not None and end - self.start > TRANSFER_DEADLINE


def _breakpoints(customer: CustomerHistory, orgs: OrgHistory, horizon: datetime | None) -> list[datetime]:
    points = {s.at for s in customer.states}
    for m in customer.home_municipalities():
        points.update(at for at, _, _ in orgs.municipality_steps(m))
    points.update(turns_30_at(s.attributes.birth_date) for s in customer.states if s.attributes is not None)
    return sorted(p for p in points if horizon is None or p <= horizon)


def _beginning(customer: CustomerHistory, orgs: OrgHistory, start: datetime) -> str:
    own = customer.events_at(start)
    if own:
        return own[-1]
    attrs = customer.attributes_at(start)
    if attrs is not None:
        steps = [e for at, e, _ in orgs.municipality_steps(attrs.home_municipality) if at == start]
        if steps:
            return steps[-1]
    return customer.last_event_before(start) or ""


def episodes(customer: CustomerHistory, orgs: OrgHistory, horizon: datetime | None) -> list[Episode]:
    """Every mismatch episode up to ``horizon`` (``None``: all facts), in time order."""
    out: list[Episode] = []
    open_: tuple[datetime, str, str] | None = None  # (start, responsible, required)
    for t in _breakpoints(customer, orgs, horizon):
        required = required_org_at(customer, orgs, t)
        responsible = customer.responsible_at(t)
        mismatch = required is not None and not satisfies(responsible, required, orgs)
        if mismatch and open_ is None:
            open_ = (t, responsible or "", required or "")
        elif not mismatch and open_ is not None:
            out.append(Episode(open_[0], t, _beginning(customer, orgs, open_[0]), open_[1], open_[2]))
            open_ = None
    if open_ is not None:
        out.append(Episode(open_[0], None, _beginning(customer, orgs, open_[0]), open_[1], open_[2]))
    return out


def missed_transfers(customer: CustomerHistory, orgs: OrgHistory, horizon: datetime | None) -> list[Episode]:
    """The episodes that are ``TRANSFER_MISSED`` findings at ``horizon``: more than 7 days long,
    closed or still open at the horizon (``None``: open episodes are not judged); one per event."""
    seen: set[str] = set()
    out: list[Episode] = []
    for e in episodes(customer, orgs, horizon):
        if e.lasts_beyond_deadline(horizon) and e.event not in seen:
            seen.add(e.event)
            out.append(e)
    return out


def next_check_at(customer: CustomerHistory, orgs: OrgHistory, horizon: datetime | None) -> datetime | None:
    """The earliest horizon after ``horizon`` at which :func:`missed_transfers` could change with no
    new fact: an open episode crossing 7 days, or a 30th birthday (a new episode may start).
    ``None`` when nothing can change by time alone."""
    if horizon is None:
        return None
    candidates: list[datetime] = []
    found = episodes(customer, orgs, horizon)
    if found and found[-1].end is None and not found[-1].lasts_beyond_deadline(horizon):
        candidates.append(shifted(found[-1].start, TRANSFER_DEADLINE + _TICK))
    state = customer.state_at(horizon)
    if state is not None and state.registered and state.attributes is not None:
        birthday = turns_30_at(state.attributes.birth_date)
        if birthday > horizon:
            candidates.append(birthday)
    return min(candidates, default=None)


def _when(t: datetime) -> str:
    return local_minute(t)


def missed_verdict(episode: Episode, customer: CustomerHistory) -> Verdict:
    """The ``TRANSFER_MISSED`` verdict of an episode; ``org`` is the organisation that kept the
    customer. The explanation does not depend on the horizon, so it is stable while open."""
    required = "a TE office" if episode.required == TE_OFFICE else episode.required
    if episode.end is None:
        when = f"since {_when(episode.start)} (still open)"
    else:
        when = f"from {_when(episode.start)} to {_when(episode.end)}"
    return verdict(Rule.TRANSFER_MISSED, at=episode.start, org=episode.responsible, subject=customer.customer,
                   explanation=f"{customer.customer} stayed with {episode.responsible} {when} Helsinki time, more "
                               f"than 7 days, although the rules required {required}.")
