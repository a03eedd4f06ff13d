"""HTTP API and web UI over real HTTP (a real `lokikirja serve`), the OpenAPI document, a real browser."""
