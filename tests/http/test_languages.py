"""The web UI in Finnish, Swedish and English over real HTTP: ``?lang=`` (kept in a cookie), else
the browser's Accept-Language, else Finnish; ``<html lang>`` follows, rule codes get their labels
and times their Finnish or Swedish form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.http.harness import LiveServer

PAGES = {  # what each main page says in Finnish and in Swedish
    "fi": {"ranking": "Kokeilualueiden riskiluokitus", "area": "Riskiulottuvuudet", "findings": "<h1>Havainnot</h1>",
           "who": "Kuka katsoi henkilön tietoja", "dossier": "Asiakkaan selvitys oikeusturvaa varten",
           "rule": "Omien tietojen katselu", "views": "Kuka on hakenut henkilön tietoja käsittelylokista",
           "timeline": "Aikajana", "login": "Kirjaudu sisään", "complete": "Täydellinen tarkistuspisteeseen"},
    "sv": {"ranking": "Riskrangordning av försöksområdena", "area": "Riskdimensioner",
           "findings": "<h1>Iakttagelser</h1>", "who": "Vem har visat personens uppgifter",
           "dossier": "Kundutredning för rättsskyddet", "rule": "Visning av egna uppgifter",
           "views": "Vem har sökt uppgifter om personen i behandlingsloggen", "timeline": "Tidslinje",
           "login": "Logga in", "complete": "Fullständig fram till kontrollpunkten"},
}
TIME = {"fi": r"\d{1,2}\.\d{1,2}\.\d{4} klo \d{1,2}\.\d{2}", "sv": r"\d{1,2}\.\d{1,2}\.\d{4} kl\. \d{1,2}\.\d{2}"}


@contextmanager
def _session(server: LiveServer, who: str, **headers: str) -> Iterator[httpx.Client]:
    with server.client(follow_redirects=False) as client:
        client.headers.update(headers)
        assert client.post("/login", data={"token": server.tokens[who]}).status_code == 303
        yield client


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_main_page_is_in_the_chosen_language_with_rule_labels_and_local_times(
        sqlite_scenario_server: LiveServer, lang: str):
    said = PAGES[lang]
    with _session(sqlite_scenario_server, "avi") as client:
        ranking = client.get("/ranking", params={"lang": lang})
        assert ranking.status_code == 200 and f'<html lang="{lang}">' in ranking.text
        assert said["ranking"] in ranking.text
        area = client.get("/areas/area:helsinki")  # no ?lang= now: the cookie keeps the choice
        assert f'<html lang="{lang}">' in area.text and said["area"] in area.text
        assert said["rule"] in area.text and 'title="ACCESS_OWN_RECORD"' in area.text
        findings = client.get("/findings", params={"rule": "ACCESS_OWN_RECORD"})
        assert said["findings"] in findings.text and said["rule"] in findings.text
        assert re.search(TIME[lang], findings.text), "a finding's time in the language's own form"
        assert "white-space: nowrap" in findings.text
        report = client.get("/ranking/report")
        assert f'<html lang="{lang}">' in report.text and said["rule"] in report.text
    with _session(sqlite_scenario_server, "dpo-hki") as client:
        client.cookies.set("lokikirja_lang", lang)
        who = client.post("/who-viewed", data={"subject": "c:a6", "purpose": f"language test {lang}"})
        assert who.status_code == 200 and f'<html lang="{lang}">' in who.text
        assert said["who"] in who.text and said["views"] in who.text and re.search(TIME[lang], who.text)
        assert said["complete"] in who.text and "Complete up to" not in who.text
        dossier = client.post("/dossier", data={"customer": "c:a6", "purpose": f"language test {lang}"})
        assert dossier.status_code == 200 and said["dossier"] in dossier.text and said["timeline"] in dossier.text


def test_without_a_choice_the_browser_language_is_used_else_finnish(sqlite_scenario_server: LiveServer):
    with sqlite_scenario_server.client() as client:
        assert '<html lang="fi">' in client.get("/login").text and PAGES["fi"]["login"] in client.get("/login").text
        swedish = client.get("/login", headers={"Accept-Language": "de-DE, sv-FI;q=0.8, en;q=0.5"})
        assert '<html lang="sv">' in swedish.text and PAGES["sv"]["login"] in swedish.text
        assert swedish.headers["content-language"] == "sv"
        english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert '<html lang="en">' in english.text and "Log in" in english.text
        chosen = client.get("/login", params={"lang": "sv"}, headers={"Accept-Language": "en"})
        assert '<html lang="sv">' in chosen.text and "lokikirja_lang=sv" in chosen.headers["set-cookie"]
        assert '<html lang="sv">' in client.get("/login", headers={"Accept-Language": "en"}).text  # the cookie wins
        client.cookies.clear()
        assert '<html lang="fi">' in client.get("/login", params={"lang": "xx"}, headers={"Accept-Language": "xx"}).text


def test_the_language_switcher_links_keep_the_page_and_its_filters(sqlite_scenario_server: LiveServer):
    with _session(sqlite_scenario_server, "avi") as client:
        page = client.get("/findings", params={"rule": "ACCESS_BULK", "lang": "fi"}).text
        assert 'href="/findings?rule=ACCESS_BULK&amp;lang=sv"' in page and '<b lang="fi">suomi</b>' in page
        assert 'hreflang="en"' in page
