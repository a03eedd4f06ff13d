"""A hand-built scenario covering every rule of CONTRACT §5, positive and negative, with its edges.

Each event has a readable key (its id is ``event_id(key)``); :data:`EXPECTED` lists exactly the
``(key, rule)`` findings the rules must give — nothing more, nothing less. Winter time is +02:00,
summer time +03:00 (2021: summer from 28 March to 31 October). Holidays of 2021: Good Friday 2 April,
Easter Monday 5 April, Ascension Day 13 May, Independence Day 6 December (a Monday).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.factories import business_id, ev, hetu

OFFICIAL_HETU = hetu(date(1984, 2, 29), 402)
CITY_OF_HELSINKI = f"e:{business_id(2016691)}"
PRIVATE_EMPLOYER = f"e:{business_id(1234567)}"
UNKNOWN_EMPLOYER = f"e:{business_id(7654321)}"

_events: list[dict[str, Any]] = []
KEY_OF: dict[str, str] = {}
"""Event id → the event's readable key."""


def _e(key: str, type_: str, at: str, actor: str = "system:ura", **data: Any) -> None:
    event = ev(type_, at, actor, key=key, **data)
    assert event["id"] not in KEY_OF, key
    KEY_OF[event["id"]] = key
    _events.append(event)


def _customer(key: str, c: str, at: str, *, home: str, born: str, erl: bool, imm: bool = False,
              lang: str = "fi", person: str | None = None) -> None:
    _e(key, "customer.registered", at, customer=c, hetu=person or hetu(date.fromisoformat(born), 100 + len(_events)),
       name=f"Asiakas {c}", org="te:uusimaa", home_municipality=home, birth_date=born,
       earnings_related_eligible=erl, immigrant_or_foreign_language=imm, language=lang)


def _view(key: str, at: str, user: str, subject: str, purpose: str = "service_guidance",
          categories: tuple[str, ...] = ("identity", "service_plan")) -> None:
    _e(key, "record.viewed", at, user, subject=subject, purpose=purpose, categories=list(categories))


def _decide(key: str, at: str, user: str, customer: str, kind: str, *, lang: str = "fi",
            employer: str | None = None) -> None:
    extra = {"employer": employer} if employer else {}
    _e(key, "decision.made", at, user, decision=f"d:{key}", kind=kind, customer=customer, outcome="granted",
       language=lang, **extra)


# --- organisations (1 March 2021, the experiment's start) -------------------------------------------------
START = "2021-03-01T00:00:00+02:00"
_e("org-hki", "organisation.registered", START, org="area:helsinki", kind="experiment_area", name="Helsinki",
   languages=["fi", "sv"], te_office="te:uusimaa", municipalities=["091"])
_e("org-esp", "organisation.registered", START, org="area:espoo", kind="experiment_area", name="Espoo",
   languages=["fi", "sv"], te_office="te:uusimaa", municipalities=["049"])
_e("org-te", "organisation.registered", START, org="te:uusimaa", kind="te_office", name="Uudenmaan TE-toimisto",
   languages=["fi", "sv"])
_e("org-keha", "organisation.registered", START, org="keha", kind="keha", name="KEHA-keskus", languages=["fi", "sv"])

# --- officials and their access rights ---------------------------------------------------------------------
for user, org, duties, extra in [
    ("u:keha-1", "keha", True, {}), ("u:hki-1", "area:helsinki", True, {"hetu": OFFICIAL_HETU}),
    ("u:hki-2", "area:helsinki", True, {}), ("u:esp-1", "area:espoo", True, {}), ("u:esp-2", "area:espoo", True, {}),
    ("u:te-1", "te:uusimaa", True, {}), ("u:te-bulk", "te:uusimaa", True, {}),
    ("u:hki-nd", "area:helsinki", False, {}),
]:
    _e(f"reg-{user}", "user.registered", START, user=user, org=org, main_duties_under_act=duties, **extra)
GRANT = "2021-03-01T06:00:00+02:00"
for user in ["u:keha-1", "u:hki-1", "u:esp-1", "u:esp-2", "u:te-1", "u:te-bulk"]:
    _e(f"grant-{user}", "access.granted", GRANT, "u:keha-1", user=user, valid_from="2021-03-01")
_e("grant-u:hki-2", "access.granted", GRANT, "u:keha-1", user="u:hki-2", valid_from="2021-03-01",
   valid_until="2021-06-30")
_e("grant-not-necessary", "access.granted", GRANT, "u:keha-1", user="u:hki-nd", valid_from="2021-03-01")
_e("grant-unauthorised", "access.granted", "2021-03-01T10:00:00+02:00", "u:hki-1", user="u:hki-2",
   valid_from="2021-03-01", valid_until="2021-06-30")
_e("revoke-esp-1", "access.revoked", "2021-09-01T12:00:00+03:00", "u:keha-1", user="u:esp-1", reason="left")

# --- employers -------------------------------------------------------------------------------------------
_e("emp-city", "employer.registered", START, employer=CITY_OF_HELSINKI, name="Helsingin kaupunki", municipality="091")
_e("emp-private", "employer.registered", START, employer=PRIVATE_EMPLOYER, name="Yritys Oy")

# --- customers -------------------------------------------------------------------------------------------
REG = "2021-03-01T08:00:00+02:00"
_customer("reg-a1", "c:a1", REG, home="091", born="1995-06-15", erl=True)
_e("to-hki-a1", "customer.transferred", "2021-03-03T08:00:00+02:00", customer="c:a1", from_="te:uusimaa",
   to="area:helsinki", reason="experiment_start")
_customer("reg-a2", "c:a2", REG, home="091", born="1980-01-10", erl=True)          # not in the group
_e("to-hki-a2", "customer.transferred", "2021-04-06T08:00:00+03:00", customer="c:a2", from_="te:uusimaa",
   to="area:helsinki", reason="experiment_start")
_e("back-a2", "customer.transferred", "2021-04-09T08:00:00+03:00", customer="c:a2", from_="area:helsinki",
   to="te:uusimaa", reason="correction")
_customer("reg-a3", "c:a3", REG, home="049", born="1990-01-01", erl=False)        # transferred after 8 days
_e("to-esp-a3", "customer.transferred", "2021-03-09T08:00:01+02:00", customer="c:a3", from_="te:uusimaa",
   to="area:espoo", reason="experiment_start")
_customer("reg-a4", "c:a4", REG, home="049", born="1990-01-01", erl=False)        # transferred after 6 days
_e("to-esp-a4", "customer.transferred", "2021-03-07T08:00:00+02:00", customer="c:a4", from_="te:uusimaa",
   to="area:espoo", reason="experiment_start")
_customer("reg-a5", "c:a5", REG, home="091", born="1996-03-03", erl=True, lang="sv")   # lawfully withheld
_e("withhold-a5", "customer.transfer_withheld", "2021-03-02T08:00:00+02:00", customer="c:a5",
   reason="linguistic_rights")
_customer("reg-a6", "c:a6", REG, home="091", born="1984-02-29", erl=False, person=OFFICIAL_HETU)
_e("to-hki-a6", "customer.transferred", "2021-03-02T08:00:00+02:00", customer="c:a6", from_="te:uusimaa",
   to="area:helsinki", reason="experiment_start")
_customer("reg-a7", "c:a7", "2021-11-01T08:00:00+02:00", home="091", born="2000-01-01", erl=True)  # never moved
_customer("reg-a8", "c:a8", REG, home="091", born="1991-06-15", erl=True)          # turns 30 on 15.6., kept
_e("to-hki-a8", "customer.transferred", "2021-03-02T09:00:00+02:00", customer="c:a8", from_="te:uusimaa",
   to="area:helsinki", reason="experiment_start")
_customer("reg-a9", "c:a9", REG, home="091", born="1991-07-01", erl=True)          # turns 30 on 1.7., returned
_e("to-hki-a9", "customer.transferred", "2021-03-02T09:00:00+02:00", customer="c:a9", from_="te:uusimaa",
   to="area:helsinki", reason="experiment_start")
_e("back-a9", "customer.transferred", "2021-07-05T09:00:00+03:00", customer="c:a9", from_="area:helsinki",
   to="te:uusimaa", reason="no_longer_eligible")
# c:a1 moves from Helsinki to Espoo and is transferred on within 2 days
_e("move-a1", "customer.changed", "2021-05-10T09:00:00+03:00", customer="c:a1", home_municipality="049")
_e("to-esp-a1", "customer.transferred", "2021-05-12T09:00:00+03:00", customer="c:a1", from_="area:helsinki",
   to="area:espoo", reason="moved_in")
for i in range(1, 52):                                                                # not in the group: TE's own
    _customer(f"reg-b{i:02d}", f"c:b{i:02d}", REG, home="091", born="1970-01-01", erl=True)

# --- views -----------------------------------------------------------------------------------------------
_view("v-ok", "2021-03-04T10:00:00+02:00", "u:hki-1", "c:a1")
_view("v-excess", "2021-03-04T10:05:00+02:00", "u:hki-1", "c:a1", categories=("identity", "health"))
_view("v-own", "2021-03-04T10:10:00+02:00", "u:hki-1", "c:a6")
_view("v-outside-before-transfer", "2021-03-04T10:15:00+02:00", "u:hki-2", "c:a2")   # TE's customer
_view("v-winter-1859", "2021-03-04T18:59:00+02:00", "u:hki-1", "c:a1")
_view("v-winter-1900", "2021-03-04T19:00:00+02:00", "u:hki-1", "c:a1")
_view("v-winter-0659", "2021-03-05T06:59:00+02:00", "u:hki-1", "c:a1")
_view("v-winter-0700", "2021-03-05T07:00:00+02:00", "u:hki-1", "c:a1")
_view("v-summer-0659", "2021-03-29T06:59:00+03:00", "u:hki-1", "c:a1")   # the Monday after DST began
_view("v-summer-0700", "2021-03-29T07:00:00+03:00", "u:hki-1", "c:a1")
_view("v-summer-1859", "2021-06-01T18:59:00+03:00", "u:esp-1", "c:a1")
_view("v-utc-1630", "2021-06-01T16:30:00Z", "u:esp-1", "c:a1")          # 19:30 in Helsinki
_view("v-utc-1530", "2021-06-01T15:30:00Z", "u:esp-1", "c:a1")          # 18:30 in Helsinki
_view("v-saturday", "2021-03-06T10:00:00+02:00", "u:hki-1", "c:a1")
_view("v-good-friday", "2021-04-02T10:00:00+03:00", "u:hki-1", "c:a1")
_view("v-easter-monday", "2021-04-05T10:00:00+03:00", "u:hki-1", "c:a1")
_view("v-ascension", "2021-05-13T10:00:00+03:00", "u:esp-1", "c:a1")
_view("v-independence", "2021-12-06T10:00:00+02:00", "u:esp-2", "c:a4")
_view("v-until-last-day", "2021-06-30T15:00:00+03:00", "u:hki-2", "c:a8")
_view("v-after-expiry", "2021-07-01T09:00:00+03:00", "u:hki-2", "c:a8")
_view("v-after-revocation", "2021-09-02T09:00:00+03:00", "u:esp-1", "c:a4")
_view("v-moved-away", "2021-05-13T09:00:00+03:00", "u:hki-1", "c:a1")    # Ascension day too
_view("v-moved-away-2", "2021-05-14T09:00:00+03:00", "u:hki-1", "c:a1")  # now Espoo's customer
_view("v-moved-new-area", "2021-05-14T09:05:00+03:00", "u:esp-1", "c:a1")
_view("v-ghost", "2021-05-14T09:10:00+03:00", "u:ghost", "c:a1")
_view("v-employer", "2021-05-14T09:15:00+03:00", "u:te-1", PRIVATE_EMPLOYER, purpose="employer_service",
      categories=("employer_basic", "employer_contacts"))
# bulk: u:te-bulk views 49 customers in an hour, the 50th triggers; a second wave re-arms and triggers again
for i in range(1, 50):
    _view(f"bulk-{i:02d}", f"2021-03-10T09:{i:02d}:00+02:00", "u:te-bulk", f"c:b{i:02d}")
_view("bulk-50", "2021-03-10T09:50:00+02:00", "u:te-bulk", "c:b50")
_view("bulk-again", "2021-03-10T09:55:00+02:00", "u:te-bulk", "c:b51")      # 51 in the window, still disarmed
for i in range(1, 51):
    _view(f"bulk2-{i:02d}", f"2021-03-11T09:{i:02d}:00+02:00", "u:te-bulk", f"c:b{i:02d}")

# --- decisions -------------------------------------------------------------------------------------------
_decide("d-ok", "2021-04-07T10:00:00+03:00", "u:hki-2", "c:a1", "start_up_grant")
_decide("d-pay-city-by-area", "2021-04-08T10:00:00+03:00", "u:hki-2", "c:a1", "pay_subsidy", employer=CITY_OF_HELSINKI)
_decide("d-pay-private-by-area", "2021-04-08T10:05:00+03:00", "u:hki-2", "c:a1", "pay_subsidy",
        employer=PRIVATE_EMPLOYER)
_decide("d-pay-city-by-te", "2021-04-08T10:10:00+03:00", "u:te-1", "c:a1", "pay_subsidy", employer=CITY_OF_HELSINKI)
_decide("d-unemp-1-10", "2021-10-01T12:00:00+03:00", "u:esp-2", "c:a4", "statement_unemployment")
_decide("d-unemp-2-10", "2021-10-02T09:00:00+03:00", "u:esp-2", "c:a4", "statement_unemployment")
_decide("d-unemp-te-2-10", "2021-10-04T09:00:00+03:00", "u:te-1", "c:a4", "statement_unemployment")
_decide("d-training-by-area", "2021-10-04T09:05:00+03:00", "u:esp-2", "c:a4", "training_selection")
_decide("d-te-own", "2021-10-04T09:10:00+03:00", "u:te-1", "c:b01", "start_up_grant")
_decide("d-area-for-te-customer", "2021-10-04T09:15:00+03:00", "u:esp-2", "c:b02", "start_up_grant")
_decide("d-lang-sv-ok", "2021-04-07T11:00:00+03:00", "u:te-1", "c:a5", "travel_compensation", lang="sv")
_decide("d-lang-fi", "2021-04-07T11:05:00+03:00", "u:te-1", "c:a5", "travel_compensation", lang="fi")
_decide("d-unknown-employer", "2021-04-07T11:10:00+03:00", "u:te-1", "c:b03", "pay_subsidy",
        employer=UNKNOWN_EMPLOYER)

EVENTS: list[dict[str, Any]] = list(_events)

EXPECTED: set[tuple[str, str]] = {
    ("grant-not-necessary", "GRANT_NOT_NECESSARY"),
    ("grant-unauthorised", "GRANT_UNAUTHORISED"),
    ("to-hki-a2", "TRANSFER_INELIGIBLE"),
    ("reg-a3", "TRANSFER_MISSED"),
    ("reg-a7", "TRANSFER_MISSED"),
    ("to-hki-a8", "TRANSFER_MISSED"),
    ("v-excess", "ACCESS_EXCESS_CATEGORIES"),
    ("v-own", "ACCESS_OWN_RECORD"),
    ("v-outside-before-transfer", "ACCESS_OUTSIDE_OWN_CUSTOMERS"),
    ("v-winter-1900", "ACCESS_OFF_HOURS"),
    ("v-winter-0659", "ACCESS_OFF_HOURS"),
    ("v-summer-0659", "ACCESS_OFF_HOURS"),
    ("v-utc-1630", "ACCESS_OFF_HOURS"),
    ("v-saturday", "ACCESS_OFF_HOURS"),
    ("v-good-friday", "ACCESS_OFF_HOURS"),
    ("v-easter-monday", "ACCESS_OFF_HOURS"),
    ("v-ascension", "ACCESS_OFF_HOURS"),
    ("v-independence", "ACCESS_OFF_HOURS"),
    ("v-after-expiry", "ACCESS_WITHOUT_RIGHT"),
    ("v-after-revocation", "ACCESS_WITHOUT_RIGHT"),
    ("v-moved-away", "ACCESS_OFF_HOURS"),
    ("v-moved-away", "ACCESS_OUTSIDE_OWN_CUSTOMERS"),
    ("v-moved-away-2", "ACCESS_OUTSIDE_OWN_CUSTOMERS"),
    ("v-ghost", "ACCESS_WITHOUT_RIGHT"),
    ("v-ghost", "REFERENCE_UNKNOWN"),
    ("bulk-50", "ACCESS_BULK"),
    ("bulk2-50", "ACCESS_BULK"),
    ("d-pay-city-by-area", "DECISION_WRONG_AUTHORITY"),
    ("d-unemp-1-10", "DECISION_WRONG_AUTHORITY"),
    ("d-unemp-te-2-10", "DECISION_WRONG_AUTHORITY"),
    ("d-training-by-area", "DECISION_WRONG_AUTHORITY"),
    ("d-area-for-te-customer", "DECISION_WRONG_AUTHORITY"),
    ("d-lang-fi", "DECISION_LANGUAGE"),
    ("d-unknown-employer", "REFERENCE_UNKNOWN"),
}
