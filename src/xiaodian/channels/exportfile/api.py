"""POST /api/v1/imports/orders."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["imports"])
