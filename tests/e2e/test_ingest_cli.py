"""The contract's ingest behaviour (CONTRACT §6), through the real CLI, on both backends."""

from __future__ import annotations

import json
import os
import threading
from datetime import date
from pathlib import Path
from uuid import uuid4

from tests.factories import ev, hetu, write_jsonl


def _views(n: int, start: int = 0) -> list[dict]:
    return [ev("record.viewed", "2022-03-14T09:12:00+02:00", "u:hki-1", subject=f"c:{i}",
               purpose="service_guidance", categories=["identity"]) for i in range(start, start + n)]


def _ingest_json(cli, *args: str, check: int = 0) -> dict:
    result = cli("ingest", *args, "--format", "json", check=check)
    return json.loads(result.stdout)


def test_a_file_with_one_bad_line_stores_nothing_and_names_file_line_and_field(cli, tmp_path: Path):
    good = _views(4)
    bad = dict(good[2], data={**good[2]["data"], "purpose": "curiosity"})
    path = write_jsonl(tmp_path / "mixed.jsonl", [good[0], good[1], bad, good[3]])
    cli("init", check=0)
    result = cli("ingest", str(path), check=2)
    assert f"{path}:3: data.purpose:" in result.stderr
    assert "nothing" in result.stderr
    # nothing was stored: the good lines are all new afterwards
    clean = write_jsonl(tmp_path / "clean.jsonl", [good[0], good[1], good[3]])
    assert _ingest_json(cli, str(clean)) == {"ingested": 3, "duplicates": 0}


def test_every_bad_line_is_reported_and_only_the_first_100_in_full(cli, tmp_path: Path):
    lines = [json.dumps(e) for e in _views(3)] + ['{"id": "x"}'] * 150 + ["not json"]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = cli("ingest", str(path), check=2)
    listed = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(listed) == 100
    assert listed[0].startswith(f"{path}:4: ")
    assert "51 more invalid line(s)" in result.stderr
    assert "151 invalid line(s)" in result.stderr


def test_the_count_is_of_lines_and_every_problem_of_a_listed_line_is_shown(cli, tmp_path: Path):
    """Two problems on each bad line: both are listed, for each of the first 100 lines."""
    bad = _views(1)[0]
    bad = {**bad, "actor": "nobody", "data": {**bad["data"], "purpose": "walk"}}
    lines = [json.dumps(e) for e in _views(2)] + [json.dumps({**bad, "id": str(uuid4())}) for _ in range(120)]
    path = tmp_path / "two-each.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = cli("ingest", str(path), check=2)
    listed = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert len(listed) == 200
    assert {line.split(":")[1] for line in listed} == {str(n) for n in range(3, 103)}
    assert [line.split(": ")[1] for line in listed[:2]] == ["actor", "data.purpose"]
    assert "20 more invalid line(s)" in result.stderr
    assert "error: 120 invalid line(s); nothing from" in result.stderr


def test_reingesting_the_same_file_stores_nothing_new(cli, tmp_path: Path):
    path = write_jsonl(tmp_path / "a.jsonl", _views(50))
    assert _ingest_json(cli, str(path)) == {"ingested": 50, "duplicates": 0}
    assert _ingest_json(cli, str(path)) == {"ingested": 0, "duplicates": 50}


def test_the_same_id_with_other_content_is_a_conflict_and_stores_nothing(cli, tmp_path: Path):
    first = _views(2)
    assert _ingest_json(cli, str(write_jsonl(tmp_path / "a.jsonl", first))) == {"ingested": 2, "duplicates": 0}
    changed = dict(first[1], data={**first[1]["data"], "categories": ["identity", "contact"]})
    newcomer = _views(1, start=10)[0]
    path = write_jsonl(tmp_path / "b.jsonl", [newcomer, changed])
    result = cli("ingest", str(path), check=2)
    assert f"{path}:2: id:" in result.stderr
    assert _ingest_json(cli, str(write_jsonl(tmp_path / "c.jsonl", [newcomer]))) == {"ingested": 1, "duplicates": 0}


def test_a_conflict_inside_one_file_is_found_too(cli, tmp_path: Path):
    a = _views(1)[0]
    b = dict(a, actor="u:someone-else")
    result = cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", [a, b])), check=2)
    assert ":2: id:" in result.stderr


def test_the_same_instant_written_with_another_offset_is_a_duplicate(cli, tmp_path: Path):
    a = _views(1)[0]
    b = dict(a, at="2022-03-14T07:12:00Z")
    assert _ingest_json(cli, str(write_jsonl(tmp_path / "a.jsonl", [a]))) == {"ingested": 1, "duplicates": 0}
    assert _ingest_json(cli, str(write_jsonl(tmp_path / "b.jsonl", [b]))) == {"ingested": 0, "duplicates": 1}


def test_stdin_is_read_with_a_dash(cli, tmp_path: Path):
    data = "".join(json.dumps(e) + "\n" for e in _views(5))
    result = cli("ingest", "-", "--format", "json", input=data, check=0)
    assert json.loads(result.stdout) == {"ingested": 5, "duplicates": 0}
    bad = cli("ingest", "-", input='{"type": "record.viewed"}\n', check=2)
    assert "-:1: " in bad.stderr


def test_a_good_file_is_kept_when_another_file_of_the_same_command_is_bad(cli, tmp_path: Path):
    good = write_jsonl(tmp_path / "good.jsonl", _views(3))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    result = cli("ingest", str(good), str(bad), "--format", "json", check=2)
    assert json.loads(result.stdout) == {"ingested": 3, "duplicates": 0}
    assert f"{bad}:1:" in result.stderr


def test_a_named_pipe_is_read_like_a_file(cli, tmp_path: Path):
    # what a shell's process substitution gives: lokikirja ingest <(zcat events.jsonl.gz)
    pipe = tmp_path / "events.pipe"
    os.mkfifo(pipe)
    data = "".join(json.dumps(e) + "\n" for e in _views(4)).encode()

    def feed() -> None:
        with pipe.open("wb") as w:
            w.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert _ingest_json(cli, str(pipe)) == {"ingested": 4, "duplicates": 0}
    writer.join(5)


def test_a_folder_is_refused_in_one_sentence(cli, tmp_path: Path):
    result = cli("ingest", str(tmp_path), check=2)
    assert result.stderr.strip() == f"error: {tmp_path}: is a folder, not a file of events"


def test_a_byte_order_mark_is_named_as_the_problem(cli, tmp_path: Path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_views(1)[0]).encode() + b"\n")
    result = cli("ingest", str(path), check=2)
    assert f"{path}:1: json: starts with a byte order mark (BOM)" in result.stderr


def test_missing_file_and_missing_arguments_are_usage_errors(cli, tmp_path: Path):
    assert "no such file" in cli("ingest", str(tmp_path / "nope.jsonl"), check=2).stderr
    cli("ingest", check=2)


def test_personal_data_never_appears_in_an_error_message(cli, tmp_path: Path):
    person = ev("customer.registered", "2021-03-01T08:00:00+02:00", customer="c:p1",
                hetu=hetu(date(1990, 5, 17)), name="Maija Meikäläinen", org="te:uusimaa",
                home_municipality="091", birth_date="1990-05-17", earnings_related_eligible=True,
                immigrant_or_foreign_language=False, language="fi")
    wrong_check = "1" if person["data"]["hetu"][-1] != "1" else "2"
    broken = dict(person, data={**person["data"], "hetu": person["data"]["hetu"][:-1] + wrong_check})
    result = cli("ingest", str(write_jsonl(tmp_path / "p.jsonl", [broken])), check=2)
    assert "data.hetu" in result.stderr
    assert broken["data"]["hetu"] not in result.stderr
    assert "Maija" not in result.stderr


def test_a_customer_id_shaped_like_a_hetu_is_refused_without_repeating_it(cli, tmp_path: Path):
    shaped = "c:" + hetu(date(1990, 1, 1)).lower()  # CONTRACT §1: a customer id is opaque, never a HETU
    view = ev("record.viewed", "2022-03-14T09:12:00+02:00", actor="u:x", subject=shaped,
              purpose="service_guidance", categories=["identity"])
    moved = ev("customer.changed", "2022-03-14T09:12:00+02:00", customer=shaped, language="fi")
    result = cli("ingest", str(write_jsonl(tmp_path / "h.jsonl", [view, moved])), check=2)
    assert "h.jsonl:1: data.subject: is shaped like a personal identity code" in result.stderr
    assert "h.jsonl:2: data.customer: is shaped like a personal identity code" in result.stderr
    assert shaped[2:] not in result.stderr.lower()


def test_ingest_without_init_creates_the_ledger(cli, tmp_path: Path):
    path = write_jsonl(tmp_path / "a.jsonl", _views(2))
    assert _ingest_json(cli, str(path)) == {"ingested": 2, "duplicates": 0}
    assert (cli.keys / "signing.key").stat().st_mode & 0o777 == 0o600


def test_the_table_summary_is_data_on_stdout_and_problems_alone_go_to_stderr(cli, tmp_path: Path):
    path = write_jsonl(tmp_path / "a.jsonl", _views(2))
    first = cli("ingest", str(path), check=0)
    assert first.stdout.strip() == "ingested 2, duplicates 0"
    assert "ingested" not in first.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    failed = cli("ingest", str(bad), check=2)
    assert "ingested 0, duplicates 0" in failed.stdout
    assert "ingested" not in failed.stderr and f"{bad}:1: " in failed.stderr


def test_times_are_printed_as_the_source_wrote_them(cli, tmp_path: Path):
    """CONTRACT §1: ``at`` is the source's RFC 3339 time; findings and the access log print it as given
    (upper-case T and Z), not converted to another offset or precision."""
    given = ["2022-03-14T07:12:00Z", "2022-03-14t07:13:00.5z", "2022-03-14 09:14:00.123456789+02:00"]
    views = [ev("record.viewed", at, actor="u:nobody", key=f"t{i}", subject="c:t1", purpose="service_guidance",
                categories=["identity"]) for i, at in enumerate(given)]
    cli("ingest", str(write_jsonl(tmp_path / "t.jsonl", views)), check=0)
    findings = json.loads(cli("findings", "--format", "json", check=0).stdout)
    shown = {f["at"] for f in findings}
    assert shown == {"2022-03-14T07:12:00Z", "2022-03-14T07:13:00.5Z", "2022-03-14T09:14:00.123456789+02:00"}
    rows = json.loads(cli("access-log", "--subject", "c:t1", "--as", "u:dpo", "--purpose", "check", "--format",
                          "json", check=0).stdout)
    assert [r["at"] for r in rows] == sorted(shown, key=lambda t: t[11:19])


def test_every_command_that_prints_json_prints_csv_too(cli, tmp_path: Path):
    """CONTRACT §6: where a command prints data it takes --format table|json|csv."""
    source = write_jsonl(tmp_path / "v.jsonl", _views(3))
    result = cli("ingest", str(source), "--format", "csv", check=0)
    assert result.stdout.splitlines() == ["ingested,duplicates", "3,0"]
    verified = cli("verify", "--format", "csv", check=0).stdout.splitlines()
    assert verified[0] == "ok,events,checkpoints,first_bad" and verified[1].startswith("true,3,")
    assert cli("checkpoint", "--format", "csv", check=0).stdout.startswith("tree_size,root_hash,timestamp,key_id")


def test_every_command_with_db_accepts_keys_too(cli, tmp_path: Path):
    """A script may pass the same --db and --keys to every command; where no key is needed,
    --keys is accepted and unused."""
    source = write_jsonl(tmp_path / "v.jsonl", _views(3))
    store = ("--db", cli.db, "--keys", str(cli.keys))
    cli("ingest", str(source), *store, check=0)
    event_id = json.loads(cli("findings", "--format", "json", *store, check=0).stdout)[0]["event"]
    for command in (["findings"], ["verify"], ["rebuild"], ["supervision"], ["monitoring"],
                    ["proof", "inclusion", event_id], ["proof", "consistency", "1", "3"], ["checkpoint"]):
        cli(*command, *store, check=0)
