"""Upload page for order export files (preview, then apply)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
