"""The server's own log (``service/logs.py``): JSON lines off a terminal, sentences on one, and a
fault logged as its frames — never its message, which may quote personal data."""

from __future__ import annotations

import io
import json
import logging

import pytest

from service.logs import LOGGER, JsonLines, LineWriter, Sentences, configure, event, json_lines


@pytest.fixture(autouse=True)
def _restore_the_logger():
    log = logging.getLogger(LOGGER)
    saved = (log.handlers[:], log.level, log.propagate)
    yield
    log.handlers, log.level, log.propagate = saved


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _fault() -> None:
    raise KeyError("c:7f3a 010190-123N")  # a message quoting personal data


def _record(logger: logging.Logger, stream: io.StringIO) -> str:
    try:
        _fault()
    except KeyError:
        logger.error("internal error on GET %s", "/v1/dossier/{customer}", exc_info=True,
                     extra={"event": "http.internal_error", "fields": {"route": "/v1/dossier/{customer}"}})
    return stream.getvalue()


def test_off_a_terminal_each_event_is_one_json_object_with_its_fields():
    stream = io.StringIO()
    log = configure(stream)
    event(log, "warning", "follower.stuck", "the views follower is stuck", follower="views", behind=5)
    doc = json.loads(stream.getvalue())
    assert doc["level"] == "warning" and doc["event"] == "follower.stuck"
    assert (doc["follower"], doc["behind"], doc["message"]) == ("views", 5, "the views follower is stuck")
    assert doc["time"].endswith("Z")
    assert json_lines(stream) and not json_lines(_Tty())


def test_a_fault_is_logged_with_its_frames_but_not_its_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LOKIKIRJA_DEBUG", raising=False)
    stream = io.StringIO()
    text = _record(configure(stream), stream)
    doc = json.loads(text)
    assert doc["error"] == "KeyError" and doc["route"] == "/v1/dossier/{customer}"
    assert any("in _fault" in frame for frame in doc["frames"])
    assert "c:7f3a" not in text and "010190" not in text


def test_on_a_terminal_a_fault_is_one_sentence_and_whole_only_with_lokikirja_debug(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LOKIKIRJA_DEBUG", raising=False)
    stream = _Tty()
    text = _record(configure(stream), stream)
    assert text.startswith("error: internal error on GET /v1/dossier/{customer} (KeyError at ")
    assert "c:7f3a" not in text and isinstance(configure(_Tty()).handlers[0].formatter, Sentences)
    monkeypatch.setenv("LOKIKIRJA_DEBUG", "1")
    stream = io.StringIO()
    assert "c:7f3a" in json.loads(_record(configure(stream), stream))["traceback"]


def test_notes_printed_while_serving_become_log_lines():
    stream = io.StringIO()
    writer = LineWriter(configure(stream))
    writer.write("witness avi+1234 did not cosign")
    writer.write(" the latest checkpoint: unreachable\nsecond ")
    writer.flush()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(d["event"], d["message"]) for d in lines] == [
        ("note", "witness avi+1234 did not cosign the latest checkpoint: unreachable"), ("note", "second")]
    assert isinstance(configure(io.StringIO()).handlers[0].formatter, JsonLines)
