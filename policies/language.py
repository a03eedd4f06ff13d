"""Language of decisions (DECISION_LANGUAGE).

Legal source — DOMAIN.md, *Language*: Language Act 423/2003 — everyone may use Finnish or
Swedish with state authorities and bilingual municipalities; in a party's matter the decision is
given in the language of the matter (§§10, 12, 19–20). A decision on a customer whose language at
its ``at`` is ``fi`` or ``sv`` must be in that language. Customers with Sámi (``se``) or another
language are not judged by this rule (the Sámi Language Act is outside CONTRACT §5).
"""

from __future__ import annotations

from ledger.events import Language

NATIONAL_LANGUAGES = frozenset({Language.FI, Language.SV})
"""Finnish and Swedish: the languages the rule protects."""


def wrong_decision_language(customer_language: Language | str, decision_language: Language | str) -> bool:
    """True when the customer's language is Finnish or Swedish and the decision's differs."""
    customer = Language(customer_language)
    return customer in NATIONAL_LANGUAGES and Language(decision_language) is not customer
