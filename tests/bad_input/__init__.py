"""The bad-input corpus (issue 17): input that was once stored or crashed a command, each case
with the field it must now be refused on, tried at every door — the CLI
(``tests/e2e/test_bad_input_cli.py``) and HTTP (``tests/http/test_bad_input_api.py``), on both
backends. Refused means: exit 2 or HTTP 422, one clear message naming the field, nothing stored.

- :mod:`tests.bad_input.events`: contract events (``ingest``, ``POST /v1/events``);
- :mod:`tests.bad_input.queries`: query arguments (``access-log``, ``dossier``… and their routes).
"""
