"""ASGI entry point for ``xiaodian serve --workers N`` and process managers (gunicorn, systemd): each worker
process builds its own context from the XIAODIAN_* settings."""

from __future__ import annotations

import gc


def create():
    from ..bootstrap import open_context
    from .app import create_app

    app = create_app(open_context())
    gc.collect()
    gc.freeze()  # see web/cli.py: start-up objects stay out of the collector's way
    return app
