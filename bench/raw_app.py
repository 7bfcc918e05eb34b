"""The engine's floor: one FastAPI handler calling ``pyoxigraph.Store(path).query()``.

No safety layers — no lexer, no worker processes, no deadline, no row cap, no snapshot — just
the SPARQL Protocol's query parameter (GET, or POST form/``application/sparql-query``), the
union default graph our server also uses, and the engine's own JSON results serialiser. The
query runs in Starlette's thread pool, as a plain FastAPI app would.

Usage: ``python bench/raw_app.py --store PATH --port PORT`` (binds 127.0.0.1 only).
"""

from __future__ import annotations

import argparse
from urllib.parse import parse_qs

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

JSON = "application/sparql-results+json"


def create_app(store_path: str) -> FastAPI:
    store = ox.Store(store_path)
    app = FastAPI(title="raw pyoxigraph")

    def run(query: str) -> bytes:
        result = store.query(query, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            return bytes(result.serialize(format=ox.RdfFormat.N_TRIPLES) or b"")
        return bytes(result.serialize(format=ox.QueryResultsFormat.JSON) or b"")

    async def answer(query: str | None) -> Response:
        if not query:
            return Response("missing query", status_code=400)
        try:
            data = await run_in_threadpool(run, query)
        except SyntaxError as exc:
            return Response(str(exc), status_code=400)
        return Response(data, media_type=JSON)

    @app.get("/sparql")
    async def get(request: Request) -> Response:
        return await answer(request.query_params.get("query"))

    @app.post("/sparql")
    async def post(request: Request) -> Response:
        body = (await request.body()).decode("utf-8")
        if request.headers.get("content-type", "").startswith("application/sparql-query"):
            return await answer(body)
        return await answer(parse_qs(body).get("query", [None])[0])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.store), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
