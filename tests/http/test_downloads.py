"""The web UI's downloads over real HTTP: findings CSV, dossier PDF, evidence bundle.

Each is checked for its status, content type and filename; a PDF's text is read back with pypdf."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pypdf

from ledger.checkpoints import Checkpoint, checkpoint_at
from ledger.store import Ledger
from projections.queries import FINDING_FIELDS
from tests.http.harness import LiveServer, serve_beside


@contextmanager
def _logged_in(server: LiveServer, who: str, lang: str = "en") -> Iterator[httpx.Client]:
    with server.client(follow_redirects=False) as client:
        client.headers["Accept-Language"] = lang
        assert client.post("/login", data={"token": server.tokens[who]}).status_code == 303
        yield client


def _pdf_text(response: httpx.Response) -> str:
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # wrapped lines joined


def _attachment(response: httpx.Response, content_type: str, prefix: str, suffix: str) -> None:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith(content_type)
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="' + prefix) and disposition.endswith(suffix + '"')


def test_findings_download_as_csv_with_the_filters_and_the_cli_columns(scenario_server: LiveServer):
    with _logged_in(scenario_server, "avi") as client:
        assert "/findings.csv?rule=ACCESS_BULK" in client.get("/findings", params={"rule": "ACCESS_BULK"}).text
        response = client.get("/findings.csv", params={"rule": "ACCESS_BULK", "severity": ""})
        _attachment(response, "text/csv", "lokikirja-findings-", ".csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert list(rows[0])[: len(FINDING_FIELDS)] == list(FINDING_FIELDS)  # the CLI's columns, then the review's
        assert len(rows) == 2 and {r["rule"] for r in rows} == {"ACCESS_BULK"}
        cli = scenario_server.cli("findings", "--rule", "ACCESS_BULK", "--format", "csv")
        shown = [{k: r[k] for k in FINDING_FIELDS} for r in rows]
        assert shown == list(csv.DictReader(io.StringIO(cli.stdout)))
    with _logged_in(scenario_server, "dpo-hki") as client:
        own = list(csv.DictReader(io.StringIO(client.get("/findings.csv").text)))
        assert own and {r["org"] for r in own} == {"area:helsinki"}
        assert client.get("/findings.csv", params={"org": "area:espoo"}).status_code == 403
    refused = [f for f in scenario_server.facts("ledger.queried") if f.data["command"] == "web findings csv"]
    assert [(f.actor, f.data["refused"]) for f in refused] == [("u:dpo-hki", True)]


def _signed_checkpoint(server: LiveServer, text: str, label: str) -> Checkpoint:
    """The checkpoint whose tree size follows ``label`` in a PDF's text, as the store holds it."""
    found = re.search(re.escape(label) + r"\s*(\d+)", text)
    assert found, text
    with Ledger.open(server.db, server.keys, need_keys=False) as ledger:
        return checkpoint_at(ledger, int(found.group(1)))[0]


def test_the_dossier_pdf_shows_each_event_proven_against_the_checkpoint_in_finnish(scenario_server: LiveServer):
    purpose = "dossier pdf test"
    with _logged_in(scenario_server, "avi", lang="fi") as client:
        page = client.post("/dossier", data={"customer": "c:a1", "purpose": purpose}).text
        assert 'action="/dossier/pdf"' in page and 'action="/dossier/bundle"' in page
        response = client.post("/dossier/pdf", data={"customer": "c:a1", "purpose": purpose, "at": ""})
    _attachment(response, "application/pdf", "dossier-c-a1-", ".pdf")
    text = _pdf_text(response)
    assert "Asiakkaan c:a1 selvitys oikeusturvaa varten" in text
    assert "Vastuu asiakkaasta" in text and "Aikajana" in text and "avaimen tunniste" in text
    assert text.count("✓ todistettu") >= 3 and "✗" not in text
    checkpoint = _signed_checkpoint(scenario_server, text, "puun koko")
    compact = re.sub(r"\s", "", text)
    assert checkpoint.key_id in compact and (checkpoint.root_hash.hex() in compact
                                             or base64.b64encode(checkpoint.root_hash).decode() in compact)
    queried = [f for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == purpose]
    assert [f.data["command"] for f in queried] == ["web dossier", "web dossier pdf"]
    assert all(f.data["via"] == "web" and f.data["subject"] == "c:a1" for f in queried)


def test_the_dossier_pdf_in_swedish_and_the_evidence_bundle_file(scenario_server: LiveServer):
    purpose = "bundle download test"
    with _logged_in(scenario_server, "dpo-hki", lang="sv") as client:
        pdf = client.post("/dossier/pdf", data={"customer": "c:a6", "purpose": purpose})
        bundle = client.post("/dossier/bundle", data={"customer": "c:a6", "purpose": purpose})
    _attachment(pdf, "application/pdf", "dossier-c-a6-", ".pdf")
    text = _pdf_text(pdf)
    assert "Utredning om kunden c:a6" in text and "Ansvar för kunden" in text and "Tidslinje" in text
    assert "✓ bevisad" in text and "trädets storlek" in text
    _attachment(bundle, "application/json", "evidence-bundle-c-a6-", ".json")
    doc = json.loads(bundle.content)
    assert doc["customer"] == "c:a6" and doc["format"].startswith("lokikirja-evidence-bundle")
    assert doc["checkpoint"]["tree_size"] > 0
    commands = [f.data["command"] for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == purpose]
    assert commands == ["web dossier pdf", "web dossier bundle"]


def test_downloads_out_of_scope_or_without_a_purpose_are_refused_and_recorded(scenario_server: LiveServer):
    purpose = "download refusal test"
    with _logged_in(scenario_server, "dpo-hki") as client:
        for path in ("/dossier/pdf", "/dossier/bundle"):
            assert client.post(path, data={"customer": "c:b05", "purpose": purpose}).status_code == 403
            assert client.post(path, data={"customer": "c:a6", "purpose": ""}).status_code == 422
    refused = [f for f in scenario_server.facts("ledger.queried") if f.data["purpose"] == purpose]
    assert [(f.data["command"], f.data["refused"]) for f in refused] == [
        ("web dossier pdf", True), ("web dossier bundle", True)]


CONTROLLER_TOML = """
[controller]
name = "Helsingin kaupunki, työllisyyspalvelut"
address = "Pohjoisesplanadi 11–13, 00099 Helsingin kaupunki"
email = "tyollisyys@hel.fi"

[dpo]
name = "Tietosuojavastaava Åsa Öberg"
email = "tietosuoja@hel.fi"
phone = "09 310 1691"
"""


def _reference(server: LiveServer, purpose: str) -> str:
    (query,) = [f for f in server.facts("ledger.queried") if f.data["purpose"] == purpose]
    return f"LKK-{query.recorded_at.astimezone(ZoneInfo('Europe/Helsinki')).year}-{query.position:06d}"


def test_the_art_15_letter_pdf_carries_its_reference_and_the_controllers_contacts(
        scenario_server: LiveServer, tmp_path: Path):
    controller = tmp_path / "controller.toml"
    controller.write_text(CONTROLLER_TOML, encoding="utf-8")
    server = serve_beside(scenario_server, ["--controller", str(controller)], name="letters")
    try:
        purpose = "letter download test"
        with _logged_in(server, "dpo-hki") as client:
            assert 'action="/letter"' in client.post("/who-viewed", data={"subject": "c:a6", "purpose": purpose}).text
            response = client.post("/letter", data={"subject": "c:a6", "purpose": purpose + " 2"})
            assert client.post("/letter", data={"subject": "c:b05", "purpose": purpose + " 3"}).status_code == 403
        with _logged_in(server, "appeals") as client:  # its case's customer, but a letter is not an appeal's
            assert client.post("/letter", data={"subject": "c:a1", "purpose": purpose + " 4"}).status_code == 403
    finally:
        server.stop()
    reference = _reference(scenario_server, purpose + " 2")
    _attachment(response, "application/pdf", reference, ".pdf")
    text = _pdf_text(response)
    assert "Selvitys henkilötietojesi käsittelystä" in text  # the customer's language, Finnish
    assert text.count(reference) == 2 and "Rekisterinpitäjä" in text and "Tietosuojavastaava Åsa Öberg" in text
    assert "Helsingin kaupunki, työllisyyspalvelut" in text and "tietosuoja@hel.fi" in text
    refused = [f for f in scenario_server.facts("ledger.queried")
               if f.data["purpose"] in (purpose + " 3", purpose + " 4")]
    assert [(f.actor, f.data["command"], f.data["refused"]) for f in refused] == [
        ("u:dpo-hki", "web subject-report", True), ("u:appeals-board", "web subject-report", True)]

    cli = scenario_server.cli("subject-report", "--subject", "c:a6", "--as", "u:dpo-hki", "--purpose",
                              "cli letter test", "--format", "html", "--controller", str(controller))
    assert cli.returncode == 0, cli.stderr
    assert _reference(scenario_server, "cli letter test") in cli.stdout and "tietosuoja@hel.fi" in cli.stdout


AREA_FINDINGS_SV = "Områdets iakttagelser"


def test_an_areas_report_downloads_as_a_pdf_in_swedish(scenario_server: LiveServer):
    with _logged_in(scenario_server, "dpo-hki", lang="sv") as client:
        page = client.get("/areas/area:helsinki", params={"since": "2021-01-01"}).text
        assert "/areas/area%3Ahelsinki/report.pdf?since=2021-01-01&amp;until=" in page
        response = client.get("/areas/area:helsinki/report.pdf", params={"since": "2021-01-01"})
        assert client.get("/areas/area:nowhere/report.pdf").status_code == 404
    _attachment(response, "application/pdf", "area-report-area-helsinki-", ".pdf")
    text = _pdf_text(response)
    assert "area:helsinki" in text and "Riskdimensioner" in text and "ACCESS_OWN_RECORD" in text
    # the area's findings grouped by official (issue 19 item 3), before the list of findings
    by_official = text.split("Per tjänsteman", 1)[1].split(AREA_FINDINGS_SV, 1)[0]
    assert "u:hki-1" in by_official
