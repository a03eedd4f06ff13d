"""One module per concern; each attaches its commands to ``service.app.main``."""
