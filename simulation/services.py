"""Normal, lawful work of a day: service contacts, decisions, presentations, vacancies, complaints.

Every view is by an official whose right is in force, of a customer responsible to the official's
own organisation that day (TE-office officials also view area customers for the tasks the TE office
keeps), in office hours, with the categories its purpose needs or fewer. Every decision is made by
the competent organisation under the rule set in force (CONTRACT §4), in the customer's language.
"""

from __future__ import annotations

from itertools import accumulate

from simulation import acts, law, staff
from simulation.clock import office_second
from simulation.config import COMPLAINT_RATE, CONTACT_RATE, VACANCY_RATE
from simulation.sim import Sim
from simulation.world import Customer, Employer

_CONTACTS = ("guidance", "decision", "presentation", "employer")
_CONTACT_WEIGHTS = (52, 33, 10, 5)
KINDS = ("statement_unemployment", "statement_service_participation", "pay_subsidy", "travel_compensation",
         "expense_allowance", "self_study_support", "self_study_support_end", "start_up_grant",
         "statement_study_interruption", "statement_self_study_interruption", "statement_study_monitoring",
         "statement_studies_effect", "statement_entrepreneurship_effect", "statement_reprehensible_conduct",
         "training_selection")
_KIND_WEIGHTS = (16, 12, 10, 7, 8, 6, 2, 3, 3, 2, 3, 5, 3, 7, 6)
_CONTACT_CUMULATIVE = tuple(accumulate(_CONTACT_WEIGHTS))
_KIND_CUMULATIVE = tuple(accumulate(_KIND_WEIGHTS))
_TOPICS = ("data_protection", "equal_treatment", "language", "other")
COMPLAINTS = "system:avi-asiointi"
"""AVI's e-service, through which complaints (kantelut) arrive."""
JOB_MARKET = "system:tyomarkkinatori"
"""Job Market Finland, where employers publish vacancies."""


def count(sim: Sim, rate: float) -> int:
    """Today's number of something that happens at ``rate`` per registered customer."""
    expected = len(sim.active) * rate
    return int(expected) + (sim.rng.random() < expected - int(expected))


def workday(sim: Sim) -> None:
    """The day's contacts with customers and employers, in office hours."""
    for _ in range(count(sim, CONTACT_RATE)):
        c = sim.active.choice(sim.rng)
        if c is None:
            return
        contact = sim.rng.choices(_CONTACTS, cum_weights=_CONTACT_CUMULATIVE)[0]
        if contact == "guidance":
            guidance(sim, c)
        elif contact == "decision":
            decision(sim, c, sim.rng.choices(KINDS, cum_weights=_KIND_CUMULATIVE)[0])
        elif contact == "presentation":
            presentation(sim, c)
        else:
            employer_work(sim, c.resp)


def guidance(sim: Sim, c: Customer) -> None:
    """Service guidance (palveluohjaus): one or two looks at the record."""
    o = staff.pick(sim, c.resp)
    if o is None:
        return
    t = office_second(sim.rng)
    acts.view(sim, sim.at(t), o.id, c.id, "service_guidance")
    if sim.rng.random() < 0.3:
        acts.view(sim, sim.at(t + sim.rng.randint(60, 1200)), o.id, c.id, "service_guidance")


def competent_org(sim: Sim, c: Customer, kind: str, employer: Employer | None) -> str:
    """The organisation competent for ``kind`` on ``c`` today (CONTRACT §4)."""
    resp = c.resp or sim.home_te(c)
    if not resp.startswith("area:"):
        return resp
    own = employer is not None and employer.municipality in sim.area_munis[resp]
    if law.area_competent(kind, sim.date, employer_is_own_municipality=own):
        return resp
    return sim.areas[resp].te_office


def pay_subsidy_employer(sim: Sim, c: Customer) -> Employer:
    """The employer of a pay subsidy: often the home municipality itself."""
    own = sim.municipal.get(c.home)
    if own and sim.rng.random() < 0.3:
        return own[0]
    return sim.rng.choice(sim.employers)


def decision(sim: Sim, c: Customer, kind: str) -> None:
    """A decision or statement by the competent organisation, after a look at the record."""
    employer = pay_subsidy_employer(sim, c) if kind == "pay_subsidy" else None
    org = competent_org(sim, c, kind, employer)
    o = staff.pick(sim, org)
    if o is None:
        return
    t = office_second(sim.rng)
    acts.view(sim, sim.at(t), o.id, c.id, law.purpose_of(kind))
    acts.decide(sim, sim.at(t + sim.rng.randint(120, 1100)), o.id, c.id, kind,
                language=law.decision_language(c.lang, sim.languages[org]), employer=employer)


def presentation(sim: Sim, c: Customer) -> None:
    """Presenting a jobseeker to an employer (for a vacancy, when one is open)."""
    o = staff.pick(sim, c.resp)
    if o is None:
        return
    vacancy, employer = (None, sim.rng.choice(sim.employers).id)
    if sim.vacancies and sim.rng.random() < 0.7:
        vacancy, employer = sim.vacancies[sim.rng.randrange(len(sim.vacancies))]
    t = office_second(sim.rng)
    acts.view(sim, sim.at(t), o.id, c.id, "jobseeker_presentation")
    acts.view(sim, sim.at(t + sim.rng.randint(30, 300)), o.id, employer, "vacancy_handling")
    acts.present(sim, sim.at(t + sim.rng.randint(301, 1100)), o.id, c.id, employer, vacancy)


def employer_work(sim: Sim, org: str | None) -> None:
    """An official looks at an employer's record (employer services are shared by design)."""
    o = staff.pick(sim, org)
    if o is None:
        return
    purpose = sim.rng.choice(("vacancy_handling", "employer_service"))
    acts.view(sim, sim.at(office_second(sim.rng)), o.id, sim.rng.choice(sim.employers).id, purpose)


def every_day(sim: Sim) -> None:
    """Vacancies published and complaints filed, any day (not judged by the access rules)."""
    for _ in range(count(sim, VACANCY_RATE)):
        employer = sim.rng.choice(sim.employers)
        vacancy = "v:" + sim.token("v")
        sim.out.emit("vacancy.published", sim.at(7 * 3600 + sim.rng.randrange(15 * 3600)), JOB_MARKET,
                     {"vacancy": vacancy, "employer": employer.id})
        sim.vacancies.append((vacancy, employer.id))
    for _ in range(count(sim, COMPLAINT_RATE)):
        c = sim.active.choice(sim.rng)
        if c is None or c.resp is None:
            continue
        topic = sim.rng.choices(_TOPICS, weights=(30, 25, 15, 30))[0]
        sim.out.emit("complaint.filed", sim.at(8 * 3600 + sim.rng.randrange(12 * 3600)), COMPLAINTS,
                     {"complaint": "k:" + sim.token("k"), "org": c.resp, "topic": topic})
