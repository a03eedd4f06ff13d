"""Access to the customer register: right in force, own customers only, own record.

Legal sources — DOMAIN.md, *The customer information system (URA) and its registers*:

- every user has a personal access right (käyttöoikeus) granted by KEHA on application
  (``ACCESS_WITHOUT_RIGHT``); the right in force at t is defined in :mod:`policies.users`;
- **experiment areas see only their own personal customers' data**
  (``ACCESS_OUTSIDE_OWN_CUSTOMERS``): a user whose organisation at t is experiment area A may view
  customer c only while c's responsible organisation at t is A. Only ``c:`` subjects and only users
  of experiment areas are judged: TE offices, KEHA, AVI and TEM are not limited by this rule, and
  employer records (``e:``) are shared by design;
- use must be necessary for the Act's tasks; looking up one's own record is not
  (``ACCESS_OWN_RECORD``), found by comparing the blind indexes of the official's and the
  customer's HETU — never the HETUs themselves.
"""

from __future__ import annotations

from datetime import datetime

from policies.orgs import OrgHistory
from policies.users import UserHistory


def right_in_force(user: UserHistory | None, t: datetime) -> bool:
    """True when ``user`` has an access right in force at t; an unknown user has none."""
    return user is not None and user.right_in_force(t)


def outside_own_customers(user_org: str | None, responsible: str | None, orgs: OrgHistory) -> bool:
    """True when a user of experiment area ``user_org`` views a customer whose responsible
    organisation (``responsible``, ``None``: nobody's) is not that area."""
    return orgs.is_area(user_org) and responsible != user_org


def is_own_record(user_hetu_index: str | None, customer_hetu_index: str | None) -> bool:
    """True when the viewing official's HETU is the customer's (equal blind indexes)."""
    return user_hetu_index is not None and user_hetu_index == customer_hetu_index
