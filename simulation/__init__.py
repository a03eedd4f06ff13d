"""A realistic simulated experiment with injected violations (``lokikirja simulate``).

Entry point: :func:`simulation.run.simulate` with :class:`simulation.config.Settings`. The house:

- ``config`` — settings and the model's tuning constants; ``clock`` — Helsinki time, workdays;
- ``law`` — the simulator's own reading of CONTRACT §3–§5 (independent of ``policies/``);
- ``identity`` — unique synthetic HETUs, business ids, opaque ids, names;
- ``world``, ``sim`` — the simulated state; ``acts`` — one event each, updating that state;
- ``population`` (day 0), ``staff``, ``customers``, ``services`` — the lawful normal course;
- ``inject``, ``inject_access``, ``inject_cases`` — violations of every rule, with their truth;
- ``emit`` — time-ordered, streaming output; ``run`` — the day loop.

It imports only the event vocabulary and the reference data of ``ledger`` (import-linter contract).
See docs/simulation.md.
"""
