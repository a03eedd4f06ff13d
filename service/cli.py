"""The ``lokikirja`` console script: every command module attaches itself to ``main``."""

from service.app import main
from service.commands import store as _store  # noqa: F401  init, ingest

__all__ = ["main"]
