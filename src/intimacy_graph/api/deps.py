"""Request dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from intimacy_graph.keys import ApiKey, Role
from intimacy_graph.service import Service


async def get_service(request: Request) -> Service:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, one hop per request
    service: Service = request.app.state.service
    return service


def require_editor(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> ApiKey:
    service: Service = request.app.state.service
    return service.keys.require(authorization, Role.EDITOR)


ServiceDep = Annotated[Service, Depends(get_service)]
EditorDep = Annotated[ApiKey, Depends(require_editor)]
