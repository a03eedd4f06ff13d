"""``verify`` through its Python API: what is not yet covered, any one-byte change, the parallel
scan agreeing with the sequential one — both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.checkpoints import public_key, sign_checkpoint
from ledger.seal import Seal
from ledger.store import Ledger
from replay.verify import _Job, _snapshot, verify
from tests.support.tampering import Attacker, build, ingest, views


def test_an_empty_ledger_verifies(ledger: Ledger):
    assert verify(ledger).to_json() == {"ok": True, "events": 0, "checkpoints": 0, "first_bad": None}


def test_events_after_the_latest_checkpoint_are_not_yet_covered_and_no_private_key_is_needed(
        ledger: Ledger, cli, tmp_path: Path):
    build(ledger, (30,))
    ingest(ledger, views(12, 30))  # appended, not checkpointed (not even sealed)
    report = verify(ledger)
    assert (report.ok, report.events, report.checkpoints, report.uncovered) == (True, 42, 1, 12)
    result = cli("verify", check=0, env={"LOKIKIRJA_KEYS": str(tmp_path / "nowhere")})
    assert "OK: 42 events, 1 checkpoint(s) verified" in result.stdout
    assert "12 event(s) appended after the latest checkpoint are not yet covered" in result.stderr


def test_a_sealed_but_not_yet_signed_event_is_still_compared_with_the_seal(ledger: Ledger):
    build(ledger, (30,))
    ingest(ledger, views(5, 30))
    from ledger.seal import seal_catch_up

    seal_catch_up(ledger)
    attacker = Attacker(ledger)
    p = attacker.positions()[32]
    attacker.flip_byte(p, 3)
    report = verify(ledger)
    assert not report.ok and report.first_bad is not None and report.first_bad.position == 32
    attacker.close()


def test_any_one_byte_change_of_a_stored_event_fails_verification_at_its_position(ledger: Ledger):
    build(ledger, (40, 25))
    attacker = Attacker(ledger)
    positions = attacker.positions()

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.integers(0, len(positions) - 1), st.integers(0, 10**6), st.integers(1, 255))
    def one_byte(leaf: int, offset: int, xor: int) -> None:
        original = attacker.flip_byte(positions[leaf], offset, xor)
        try:
            report = verify(ledger)
            assert not report.ok and report.first_bad is not None
            assert report.first_bad.position == leaf
            assert report.first_bad.reason.startswith("altered")
        finally:
            attacker.set_state(positions[leaf], original)

    one_byte()
    assert verify(ledger).ok
    attacker.close()


@pytest.mark.parametrize("tamper", ["none", "delete", "alter_tail", "truncate", "checkpoint"])
def test_the_parallel_scan_reports_exactly_what_the_sequential_one_does(ledger: Ledger, tamper: str):
    build(ledger, (600, 300, 137))
    attacker = Attacker(ledger)
    positions = attacker.positions()
    if tamper == "delete":
        attacker.delete(positions[700])
    elif tamper == "alter_tail":
        attacker.flip_byte(positions[1030], 9)
    elif tamper == "truncate":
        attacker.delete(*positions[-3:])
    elif tamper == "checkpoint":
        attacker.sql(f"UPDATE {attacker.seal.checkpoints} SET timestamp = 'x' WHERE tree_size = 900")
    sequential, parallel = verify(ledger, workers=1), verify(ledger, workers=3)
    assert parallel == sequential
    assert sequential.ok == (tamper == "none")
    with _snapshot(ledger) as cur:  # the parallel scan alone (a failure there is re-checked sequentially)
        alone = _Job(Seal(ledger), cur, [public_key(ledger)[1]], lambda _n: None).parallel(3)
    assert (alone is not None and alone.ok) == (tamper == "none")
    attacker.close()


def test_checkpoints_signed_after_tampering_do_not_hide_it(ledger: Ledger):
    build(ledger, (50,))
    attacker = Attacker(ledger)
    p = attacker.positions()[10]
    attacker.flip_byte(p, 20)
    ingest(ledger, views(5, 50))
    sign_checkpoint(ledger)  # seals and signs the new events; the altered one stays altered
    report = verify(ledger)
    assert not report.ok and report.first_bad is not None and report.first_bad.position == 10
    attacker.close()
