"""``python -m service`` runs the ``lokikirja`` command (used by the end-to-end tests)."""

from service.cli import main

main(prog_name="lokikirja")
