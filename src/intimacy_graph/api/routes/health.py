"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from intimacy_graph import __version__
from intimacy_graph.api import models as m
from intimacy_graph.service import Service

router = APIRouter(tags=["health"])

_HEALTH = {"status": "ok", "version": __version__}


@router.get(
    "/api/v1/health",
    summary="Liveness: the process answers",
    response_model=m.Health,
    responses={
        **m.ok(m.EXAMPLES["health"], media_type="application/json", cached=False),
        # names ErrorBody as a model, which puts it in the components every route refers to
        "4XX": {"model": m.ErrorBody, "description": "Any refusal, in the one error shape"},
    },
)
async def health() -> JSONResponse:
    return JSONResponse(_HEALTH)


@router.get(
    "/api/v1/ready",
    summary="Readiness: store open, snapshot published, workers up",
    response_model=m.Ready,
    responses={
        **m.ok(m.EXAMPLES["ready"], media_type="application/json", cached=False),
        503: {
            "model": m.Ready,
            "description": "Starting: not ready yet",
            "content": {
                "application/json": {
                    "example": {
                        "code": "not-ready",
                        "message": "The service is starting; try again shortly.",
                        "ready": False,
                        "generation": None,
                        "workers": 2,
                        "worker_restarts": 0,
                        "search_ready": False,
                        "search_generation": None,
                    }
                }
            },
        },
    },
)
async def ready(request: Request) -> JSONResponse:
    # the service straight from app state: no dependency solving on a polled route
    service: Service = request.app.state.service
    snapshot = service.snapshot
    index = service.index
    body = {
        **(
            {}
            if service.ready
            else {"code": "not-ready", "message": "The service is starting; try again shortly."}
        ),
        "ready": service.ready,
        "generation": snapshot.generation if snapshot else None,
        "workers": service.workers.size,
        "worker_restarts": service.workers.restarts,
        # built in the background after start-up and kept in step with writes: until it is
        # there, search and suggest answer 503 while SPARQL already works
        "search_ready": index is not None,
        "search_generation": index.generation if index is not None else None,
    }
    return JSONResponse(body, status_code=200 if service.ready else 503)
