"""The one error tree of Lokikirja. ``service/`` maps these to exit codes and HTTP statuses.

    LedgerError
    ├── UsageError            a command was given wrong or missing arguments (exit 2)
    ├── InvalidInput          input lines failed validation; carries every problem (exit 2)
    │   └── ConflictingEvent  an id already stored (or earlier in the file) with other content
    ├── NotInitialised        the store or its keys do not exist yet (exit 2)
    ├── KeyMismatch           the keys given are not the keys this ledger was created with (exit 2)
    ├── UnknownSubject        a customer, user or event the ledger does not know (exit 2)
    ├── ReplicaUnavailable    the read replica cannot answer a read (HTTP 503)
    │   └── ReplicaBehind     …because it is further behind than a read may be
    ├── BadBackup             not a readable backup, or its keys do not open (wrong passphrase) (exit 2)
    ├── IntegrityFailure      verification found tampering (exit 1)
    └── BackupFailed          a backup or restore tool (pg_dump, pg_restore) failed; nothing was kept (exit 1)
"""

from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    """Base of every error Lokikirja reports to a person. ``str(e)`` is one plain sentence."""

    exit_code = 2


class UsageError(LedgerError):
    pass


@dataclass(frozen=True)
class Problem:
    """One bad input line: where it is and what is wrong, without repeating personal data."""

    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


MAX_LINES_LISTED = 100  # bad lines reported in full (CONTRACT §6: "first 100")


def _lines(problems: list[Problem]) -> list[tuple[str, int]]:
    """The distinct ``(source, line)`` of ``problems``, in order (a line may have several)."""
    return list(dict.fromkeys((p.source, p.line) for p in problems))


class InvalidInput(LedgerError):
    """``problems``: every problem of the first 100 bad lines; ``total``: how many lines are bad."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(_lines(problems))
        sources = sorted({p.source for p in problems})
        where = sources[0] if len(sources) == 1 else "the input"
        super().__init__(f"{self.total} invalid line(s); nothing from {where} was stored")

    @property
    def unlisted(self) -> int:
        """Bad lines counted but not listed."""
        return self.total - len(_lines(self.problems))

    @classmethod
    def of_sources(cls, failures: list[InvalidInput]) -> InvalidInput:
        """The failures of several sources as one: every problem of the first 100 bad lines."""
        problems = [p for f in failures for p in f.problems]
        kept = set(_lines(problems)[:MAX_LINES_LISTED])
        return cls([p for p in problems if (p.source, p.line) in kept], sum(f.total for f in failures))


class ConflictingEvent(InvalidInput):
    pass


class NotInitialised(LedgerError):
    pass


class KeyMismatch(LedgerError):
    pass


class UnknownSubject(LedgerError):
    pass


class ReplicaUnavailable(LedgerError):
    pass


class ReplicaBehind(ReplicaUnavailable):
    """A read replica ``lag`` positions behind what a read needs, more than the ``max_lag`` allowed,
    after waiting ``waited`` seconds for it (ADR 0014)."""

    def __init__(self, lag: int, max_lag: int, waited: float) -> None:
        self.lag, self.max_lag, self.waited = lag, max_lag, waited
        super().__init__(f"the read replica is {lag} log position(s) behind the ledger, more than the {max_lag} "
                         f"a read may be (--max-replica-lag), after waiting {waited:g} s; try again shortly")


class BadBackup(LedgerError):
    pass


class IntegrityFailure(LedgerError):
    exit_code = 1


class BackupFailed(LedgerError):
    exit_code = 1
