"""What each web page shows, composed from the use cases in ``actions`` and ``access``.

A page handler parses, calls one of these and renders the template with the dict it returns.
"""

from __future__ import annotations

from typing import Any

from ledger.errors import UnknownSubject
from projections.queries import Window
from service.http import actions, charts, scope
from service.http.access import access_history
from service.http.auth import Principal
from service.http.params import AccessQuery, FindingFilters, cursor
from service.http.served import Served

PAGE_LIMIT = 500  # findings listed on one page (the filters narrow it down)
OFFICIALS_CHARTED = 20  # the officials with most findings drawn in the area's chart (the table lists all)


def ranking(served: Served, principal: Principal, window: Window) -> dict[str, Any]:
    """The AVI risk ranking with findings over time across all areas."""
    report = actions.supervision_report(served, principal, window, command="web ranking")
    months = actions.findings_over_time(served, principal, window=window)
    return {"report": report, "chart": charts.monthly_bars(months, period=(report["from"], report["to"]))}


def _with_reviews(served: Served, page: actions.FindingsPage) -> dict[str, Any]:
    """A page of findings, the total, their reviews and the cursor of the next page (None: last)."""
    return {"findings": page.findings, "total": page.total, "reviews": actions.reviews_of(served, page.findings),
            "next": cursor(page.next) if page.next is not None else None}


def area(served: Served, principal: Principal, org: str, period: FindingFilters) -> dict[str, Any]:
    """One area's figures, risk dimensions, findings over time and (in scope) its findings, for the
    period's ``since``/``until``."""
    window = period.window()
    report = actions.supervision_report(served, principal, window, command="web area")
    found = next((a for a in report["areas"] if a["org"] == org), None)
    if found is None:
        raise UnknownSubject(f"{org} is not an experiment area in the ledger")
    doc: dict[str, Any] = {"report": report, "area": found, "in_scope": scope.sees_findings_of(principal, org),
                           "chart": charts.monthly_bars(actions.findings_over_time(
                               served, principal, org=org, window=window), period=(report["from"], report["to"]))}
    if doc["in_scope"]:
        grouped = actions.findings_grouped(served, principal, org, window)
        top = charts.shared_top(grouped["rules"], {u: o["severity"] for u, o in grouped["officials"].items()})
        doc |= {"grouped": grouped, "top": top,
                "by_rule_chart": charts.group_bars(grouped["rules"], top=top),
                "by_official_chart": charts.group_bars(
                    {u: o["severity"] for u, o in list(grouped["officials"].items())[:OFFICIALS_CHARTED]}, top=top)}
        filters = FindingFilters(org=org, since=period.since, until=period.until)
        doc |= _with_reviews(served, actions.findings_page(served, principal, filters, limit=PAGE_LIMIT,
                                                           command="web area", count=True))
    return doc


def findings(served: Served, principal: Principal, filters: FindingFilters) -> dict[str, Any]:
    """The findings list with the filters applied and each finding's reviews."""
    size = min(filters.limit or PAGE_LIMIT, PAGE_LIMIT)  # ?limit= makes pages shorter, never longer
    page = actions.findings_page(served, principal, filters, limit=size, command="web findings", count=True)
    return {"filters": filters} | _with_reviews(served, page)


def who_viewed(served: Served, principal: Principal, q: AccessQuery) -> dict[str, Any]:
    """Who viewed this person (recorded first), who else asked the ledger about them, and the
    customers an Art. 15 letter can go to (the one asked about, or those with the HETU asked about)."""
    history = access_history(served, principal, q, command="web who-viewed", with_asked=True)
    customers = [q.subject] if q.subject else (history.proven or {}).get("customers", []) if q.hetu else []
    return {"query": q, "rows": history.rows, "asked": history.asked, "complete": history.complete,
            "proven": history.proven, "letter_to": [c for c in customers if c.startswith("c:")]}
