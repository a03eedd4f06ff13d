"""The ``lokikirja`` console script. Commands live in ``service/commands/`` and are loaded on demand
(``service.app.COMMAND_MODULES``)."""

from service.app import main

__all__ = ["main"]
