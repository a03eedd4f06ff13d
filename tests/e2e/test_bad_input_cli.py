"""The bad-input corpus (``tests/bad_input``) at the command line, on both backends: every bad line
is named as ``FILE:LINE: field: message``, the command exits 2, nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.store import Ledger
from tests.bad_input.events import BAD_EVENTS, GOOD
from tests.bad_input.queries import BAD_QUERIES
from tests.conftest import Cli
from tests.factories import write_jsonl
from tests.scenarios import EVENTS


def log_size(cli: Cli) -> int:
    with Ledger.open(cli.db, cli.keys, need_keys=False) as ledger:
        return ledger.max_position()


def test_every_bad_event_of_the_corpus_is_named_and_nothing_is_stored(cli: Cli, tmp_path: Path) -> None:
    cli("init", check=0)
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD, *(case.event() for case in BAD_EVENTS)])
    result = cli("ingest", str(path), check=2)
    lines = result.stderr.splitlines()
    for number, case in enumerate(BAD_EVENTS, start=2):
        named = [line for line in lines if line.startswith(f"{path}:{number}: ")]
        assert named and named[0].startswith(f"{path}:{number}: {case.field}: "), (case.name, named)
        assert case.says in named[0], (case.name, named[0])
    assert f"error: {len(BAD_EVENTS)} invalid line(s); nothing from {path} was stored" in result.stderr
    assert log_size(cli) == 0
    assert json.loads(cli("ingest", str(write_jsonl(tmp_path / "good.jsonl", [GOOD])), "--format", "json",
                          check=0).stdout) == {"ingested": 1, "duplicates": 0}


def test_a_fact_at_the_edge_of_time_beside_the_scenario_stores_nothing_and_the_ledger_still_answers(
        cli: Cli, tmp_path: Path) -> None:
    cli("ingest", str(write_jsonl(tmp_path / "scenario.jsonl", EVENTS)), check=0)
    before = log_size(cli)
    for case in (c for c in BAD_EVENTS if c.item == 1):
        cli("ingest", str(write_jsonl(tmp_path / "one.jsonl", [GOOD, case.event()])), check=2)
    assert log_size(cli) == before
    cli("findings", "--format", "json", check=0)


def test_every_bad_query_of_the_corpus_is_refused_in_one_sentence_before_anything_is_recorded(
        cli: Cli, tmp_path: Path) -> None:
    cli("ingest", str(write_jsonl(tmp_path / "scenario.jsonl", EVENTS)), check=0)
    before = log_size(cli)
    for case in BAD_QUERIES:
        result = cli(*case.cli)
        assert result.returncode == 2, (case.name, result.returncode, result.stderr)
        assert result.stderr.startswith(f"error: {case.option} ") and result.stderr.count("\n") == 1, \
            (case.name, result.stderr)
        assert case.says in result.stderr, (case.name, result.stderr)
    assert log_size(cli) == before


def test_codes_in_every_family_of_unicode_digits_are_refused_at_ingest(cli: Cli, tmp_path: Path) -> None:
    """Issue 17, item 3: a HETU, a business id and a municipality code in each family of non-ASCII
    decimal digits (tests/bad_input/test_unicode_digits.py tries every digit at the model)."""
    from tests.bad_input.test_unicode_digits import BUSINESS_ID, FAMILIES, HETU, _customer, in_family
    from tests.factories import ev

    cases: list[tuple[dict, str]] = []
    for zero in FAMILIES:
        cases += [(_customer(hetu=in_family(HETU, zero)), "data.hetu"),
                  (ev("employer.registered", "2022-01-10T10:00:00+02:00", employer="e:" + in_family(BUSINESS_ID, zero),
                      name="Oy Ab"), "data.employer"),
                  (ev("area.municipality_joined", "2022-01-10T10:00:00+02:00", org="area:helsinki",
                      municipality=in_family("091", zero)), "data.municipality")]
    cli("init", check=0)
    path = write_jsonl(tmp_path / "digits.jsonl", [event for event, _ in cases])
    result = cli("ingest", str(path), check=2)
    assert f"error: {len(cases)} invalid line(s); nothing from {path} was stored" in result.stderr
    named = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(named) == 100
    assert all(line.split(": ")[1] == cases[int(line.split(":")[1]) - 1][1] for line in named)
    assert log_size(cli) == 0


def test_a_50_mb_name_is_refused_without_being_read_whole(cli: Cli, tmp_path: Path) -> None:
    """Issue 17, item 8: a 50 MB name was accepted. The line is refused at its first 64 KiB."""
    from tests.factories import ev

    path = tmp_path / "huge.jsonl"
    head, tail = json.dumps(ev("customer.changed", "2022-01-10T10:00:00+02:00", customer="c:a1", name="@")).split("@")
    with path.open("w", encoding="utf-8") as out:
        out.write(head + "n" * (50 * 1024 * 1024) + tail + "\n" + json.dumps(GOOD) + "\n")
    cli("init", check=0)
    result = cli("ingest", str(path), check=2)
    assert f"{path}:1: json: is longer than 64 KiB" in result.stderr
    assert f"error: 1 invalid line(s); nothing from {path} was stored" in result.stderr
    assert log_size(cli) == 0
