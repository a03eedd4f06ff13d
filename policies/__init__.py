"""The Act (1269/2020, as amended) as pure, versioned functions: facts and times in, verdicts out.

No I/O, no clock, no database: ``policies`` imports only the standard library, pydantic,
``holidays`` and the event vocabulary (``ledger.events``, ``ledger.identifiers``); a test walks
every module's imports to keep it so. One module per concern:

- :mod:`policies.facts` — :class:`~policies.facts.Fact`, the light stored form of a fact, and
  history rows ``(at, event_id, type, payload)``.
- :mod:`policies.localtime` — Europe/Helsinki dates and midnights.
- :mod:`policies.orgs`, :mod:`policies.users`, :mod:`policies.customers`, :mod:`policies.history`
  — immutable histories answering "as of t", and the :class:`~policies.history.World` protocol;
  :mod:`policies.world` — an in-memory world from a list of facts.
- :mod:`policies.rulesets` — the rule sets (``2021-03``, ``2021-10``) by date.
- :mod:`policies.eligibility` — the customer group; :mod:`policies.competence` — CONTRACT §4;
  :mod:`policies.access` — right in force, own customers, own record;
  :mod:`policies.minimisation` — CONTRACT §3; :mod:`policies.monitoring` — off hours and bulk;
  :mod:`policies.language` — decision language; :mod:`policies.transfer` — required organisation,
  ineligible and missed transfers.
- :mod:`policies.verdicts` — :class:`~policies.verdicts.Verdict`, the rule table (CONTRACT §5),
  finding ids; :mod:`policies.rulebook` — how a rule is declared (what it judges and reads);
  :mod:`policies.rules` — the rules of CONTRACT §5 filed in the rule book;
  :mod:`policies.judge` — one :class:`~policies.judge.Judgement` per fact;
  :mod:`policies.case` — every rule over one customer.

``docs/rules.md`` describes every rule with its legal basis, edges and examples.
"""
