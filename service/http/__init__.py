"""The HTTP door: the versioned JSON API (``/v1/…``) and the server-rendered web UI, one FastAPI app.

    app.py              the application: routers and error handlers over one open ledger (``create_app``)
    served.py           what requests share: the ledger, the tokens file, the write lock, a fresh read model
    tokens.py           the tokens file (hashed bearer tokens with a role), also behind ``lokikirja tokens``
    auth.py             bearer tokens and cookie sessions → a :class:`~service.http.auth.Principal`
    scope.py            what each role may see; refusals are recorded before they are answered
    params.py           request parameters and bodies, validated at the edge
    actions.py          the use cases (one call per handler): ingest, findings, reviews, reports
    access.py           access history within the caller's scope, the query recorded first
    cases.py            AVI's inspection cases: open, note, list, read (ADR 0018)
    errors.py           the error tree mapped to HTTP statuses (JSON for ``/v1``, a page for the UI)
    render.py, schemas.py  JSON and HTML answers; the answers' shapes for the OpenAPI document
    routes_ledger.py, routes_integrity.py  the JSON API, thin: parse → one call → render
    web.py, web_pages.py, web_cases.py, views.py, charts.py  the web UI (templates in ``service/templates/web/``)

Nothing here holds a rule of the Act: rules live in ``policies/``, reads in ``projections/``.
"""
