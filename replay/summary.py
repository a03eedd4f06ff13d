"""One readable line per fact, for dossiers: what happened, in the words of the contract."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Data = Mapping[str, Any]


def _list(values: Any) -> str:
    return ", ".join(values) if isinstance(values, list) else str(values)


_SUMMARIES: dict[str, Callable[[Data], str]] = {
    "organisation.registered": lambda d: f"{d['org']} ({d['kind']}) registered: {d['name']}",
    "area.municipality_joined": lambda d: f"municipality {d['municipality']} joined {d['org']}",
    "area.municipality_left": lambda d: f"municipality {d['municipality']} left {d['org']}",
    "customer.registered": lambda d: (
        f"registered at {d['org']}: {d.get('name', '(no name)')}, {d['hetu']}, born {d['birth_date']}, home "
        f"municipality {d['home_municipality']}, language {d['language']}, earnings-related allowance "
        f"{'yes' if d['earnings_related_eligible'] else 'no'}, immigrant or foreign-language "
        f"{'yes' if d['immigrant_or_foreign_language'] else 'no'}"),
    "customer.changed": lambda d: "changed: " + ", ".join(f"{k} {v}" for k, v in d.items() if k != "customer"),
    "customer.transferred": lambda d: f"transferred from {d['from']} to {d['to']} ({d['reason']})",
    "customer.transfer_withheld": lambda d: f"transfer withheld by the TE office ({d['reason']})",
    "customer.deregistered": lambda d: f"deregistered ({d['reason']})",
    "record.viewed": lambda d: f"record viewed for {d['purpose']}: {_list(d['categories'])}",
    "decision.made": lambda d: (f"decision {d['decision']}: {d['kind']} {d['outcome']} in {d['language']}"
                                + (f", employer {d['employer']}" if d.get("employer") else "")),
    "jobseeker.presented": lambda d: f"presented to employer {d['employer']}"
                                     + (f" for vacancy {d['vacancy']}" if d.get("vacancy") else ""),
    "subject.erased": lambda d: f"personal data erased ({d['reason']})",
}


def summary(type_name: str, data: Data) -> str:
    """A one-line summary of a fact's data (personal fields as given: decrypted or ``[erased]``)."""
    make = _SUMMARIES.get(type_name)
    return make(data) if make else type_name.replace(".", " ")
