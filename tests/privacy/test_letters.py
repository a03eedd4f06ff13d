"""The Art. 15 letter's reference number and the controller file (``service/letters.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from ledger.errors import UsageError
from ledger.records import StoredFact
from service.letters import load_contacts, reference_number


def _query(position: int, recorded_at: datetime) -> StoredFact:
    return StoredFact(id=uuid4(), type="ledger.queried", at=recorded_at, actor="u:dpo-1", recorded_at=recorded_at,
                      data={}, fp="", position=position)


def test_the_reference_is_the_helsinki_year_and_the_log_position_of_the_request():
    assert reference_number(_query(123, datetime(2026, 3, 14, 9, 12, tzinfo=UTC))) == "LKK-2026-000123"
    # 31.12. 22:30 UTC is already New Year in Helsinki
    assert reference_number(_query(1_234_567, datetime(2026, 12, 31, 22, 30, tzinfo=UTC))) == "LKK-2027-1234567"


def test_the_controller_file_gives_both_contacts_and_names_what_is_wrong(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LOKIKIRJA_CONTROLLER_FILE", raising=False)
    assert load_contacts(None) is None
    good = tmp_path / "controller.toml"
    good.write_text('[controller]\nname = "Espoon kaupunki"\nemail = "kirjaamo@espoo.fi"\n'
                    '[dpo]\nname = "Tietosuojavastaava"\nphone = " 09 816 21 "\n', encoding="utf-8")
    monkeypatch.setenv("LOKIKIRJA_CONTROLLER_FILE", str(good))
    contacts = load_contacts(None)
    assert contacts is not None and contacts.controller == {"name": "Espoon kaupunki", "email": "kirjaamo@espoo.fi"}
    assert contacts.dpo == {"name": "Tietosuojavastaava", "phone": "09 816 21"}
    for text, complaint in (('[controller]\nname = "x"\n', "[dpo] needs a name"),
                            ('[controller]\nname = "x"\nfax = "1"\n[dpo]\nname = "y"\n', "takes the texts"),
                            ('[boss]\nname = "x"\n', "unknown section"), ("[controller\n", "controller.toml")):
        good.write_text(text, encoding="utf-8")
        with pytest.raises(UsageError, match=complaint.replace("[", r"\[")):
            load_contacts(good)
    with pytest.raises(UsageError, match="cannot read"):
        load_contacts(tmp_path / "missing.toml")
