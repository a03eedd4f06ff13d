"""``python -m service`` runs the ``lokikirja`` command (used by the end-to-end tests)."""

from service.cli import main

if __name__ == "__main__":
    main(prog_name="lokikirja")
