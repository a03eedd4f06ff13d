"""The server's own log: one JSON object a line on stderr when stderr is not a terminal (a service
manager, a container, a file), plain sentences when it is.

Only the server's own events are logged — it starts and stops, a fault, a follower falling
behind or stuck, a witness not cosigning —, never a request (URLs can carry personal data, and
the ledger records every query itself) and never personal data: events carry route templates,
positions, counts, error types. A traceback is logged as its frames (file, line, function)
without the exception's message, which may quote a value; ``LOKIKIRJA_DEBUG=1`` logs it whole.

A JSON line::

    {"time": "2026-11-30T12:00:00.123Z", "level": "warning", "event": "follower.stuck",
     "message": "…", "follower": "views", "position": 1200, "behind": 35}

Use :func:`event`: ``event(log, "warning", "follower.stuck", "the read model is stuck", follower="views")``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

LOGGER = "lokikirja"


def event(log: logging.Logger, level: str, name: str, message: str, **fields: Any) -> None:
    """Log the event ``name`` (``server.started``, ``follower.stuck``, …) with its fields."""
    log.log(logging.getLevelNamesMapping()[level.upper()], message, extra={"event": name, "fields": fields})


def _error(record: logging.LogRecord) -> dict[str, Any]:
    if not record.exc_info or record.exc_info[1] is None:
        return {}
    kind, exc, tb = record.exc_info
    assert kind is not None
    if os.environ.get("LOKIKIRJA_DEBUG"):
        return {"error": kind.__name__, "traceback": "".join(traceback.format_exception(kind, exc, tb))}
    frames = [f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)]
    return {"error": kind.__name__, "frames": frames}


class JsonLines(logging.Formatter):
    """A record as one JSON object (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        doc: dict[str, Any] = {
            "time": when.replace("+00:00", "Z"),
            "level": record.levelname.lower(), "logger": record.name,
            "event": getattr(record, "event", None) or record.name, "message": record.getMessage()}
        doc.update(getattr(record, "fields", None) or {})
        doc.update(_error(record))
        return json.dumps(doc, ensure_ascii=False, default=str)


class Sentences(logging.Formatter):
    """A record as a sentence for a person at a terminal; a fault with its frames (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        error = _error(record)
        if "traceback" in error:
            return f"{line}\n{error['traceback'].rstrip()}"
        if error:
            return f"{line} ({error['error']} at {error['frames'][-1] if error['frames'] else '?'})"
        return line


def json_lines(stream: TextIO | None = None) -> bool:
    """Whether the log on ``stream`` (default stderr) is JSON lines: when it is not a terminal."""
    stream = stream or sys.stderr
    return not (hasattr(stream, "isatty") and stream.isatty())


def formatter(stream: TextIO | None = None) -> logging.Formatter:
    return JsonLines() if json_lines(stream) else Sentences()


def configure(stream: TextIO | None = None, *, everything: bool = False) -> logging.Logger:
    """Send the ``lokikirja`` loggers to ``stream`` (default stderr) in its format; returns the
    root one of them. ``everything``: also other libraries' warnings and Python's warnings, so that
    nothing else writes plain text among the JSON lines (a server's whole stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(stream))
    log = logging.getLogger(LOGGER)
    log.handlers = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False
    if everything:
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(logging.WARNING)
        logging.captureWarnings(True)
    return log


def uvicorn_config(stream: TextIO | None = None) -> dict[str, Any]:
    """uvicorn's ``log_config``: its own messages (a port in use, a fault it caught) in the same format."""
    factory = JsonLines if json_lines(stream) else Sentences
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"lokikirja": {"()": f"{__name__}.{factory.__name__}"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "lokikirja",
                                    "stream": "ext://sys.stderr"}},
            "loggers": {"uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
                        "uvicorn.error": {"level": "WARNING"},
                        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}}}


class LineWriter:
    """A file-like object that logs each line written to it as an event ``note`` (the human notes
    ``service.app.note`` prints, while the server runs with JSON lines)."""

    def __init__(self, log: logging.Logger) -> None:
        self.log, self._buffer = log, ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                event(self.log, "info", "note", line.strip())
        return len(text)

    def flush(self) -> None:
        if self._buffer.strip():
            event(self.log, "info", "note", self._buffer.strip())
        self._buffer = ""

    def isatty(self) -> bool:
        return False
