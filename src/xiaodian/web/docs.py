"""API documentation served by the desk itself (no CDN): the OpenAPI JSON and a readable page of it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..accounts.service import Principal
from .deps import require
from .templating import render

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def openapi_json(request: Request, principal: Principal = Depends(require("orders.read"))):
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def docs_page(request: Request, principal: Principal = Depends(require("orders.read"))):
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            operations.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                               "description": op.get("description", ""),
                               "parameters": op.get("parameters", []),
                               "body": bool(op.get("requestBody"))})
    return render(request, "docs.html", operations=operations, title=spec.get("info", {}).get("title"))
