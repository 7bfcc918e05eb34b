"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from intimacy_graph import __version__
from intimacy_graph.api.deps import ServiceDep

router = APIRouter(tags=["health"])


@router.get("/api/v1/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/api/v1/ready", summary="Readiness: store open, snapshot published, workers up")
async def ready(service: ServiceDep) -> JSONResponse:
    snapshot = service.snapshot
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
    }
    return JSONResponse(body, status_code=200 if service.ready else 503)
