"""The witness's HTTP door (``c2sp.org/tlog-witness``): ``POST /add-checkpoint`` and the
monitoring read ``GET /<origin hash>/checkpoint``. Thin: every decision is ``ledger/witness.py``'s."""

from __future__ import annotations

import threading

from fastapi import FastAPI, Request, Response

from ledger.witness import MAX_BODY, Witness


def create_witness_app(witness: Witness) -> FastAPI:
    app = FastAPI(title=f"Lokikirja witness {witness.name}", docs_url=None, redoc_url=None, openapi_url=None)
    one_at_a_time = threading.Lock()  # the state's transaction serialises processes; this, threads

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response("request too large\n", status_code=400, media_type="text/plain")
        with one_at_a_time:
            answer = witness.add_checkpoint(body)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    @app.get("/{hashed_origin}/checkpoint")
    def latest(hashed_origin: str) -> Response:
        note = witness.latest_note(hashed_origin.lower())
        if note is None:
            return Response("this witness has cosigned no checkpoint of that log\n", status_code=404,
                            media_type="text/plain")
        return Response(note, media_type="text/plain; charset=utf-8")

    @app.get("/")
    def about() -> Response:
        return Response(f"{witness.verifier}\n", media_type="text/plain; charset=utf-8")

    return app
