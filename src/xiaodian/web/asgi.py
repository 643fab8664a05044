"""ASGI entry point for ``xiaodian serve --workers N`` and process managers (gunicorn, systemd): each worker
process builds its own context from the XIAODIAN_* settings."""

from __future__ import annotations

import gc


def create():
    from ..bootstrap import open_context
    from ..logs import configure_logging
    from .app import create_app

    # Each web process is a fresh interpreter: without this its request lines were dropped and an unhandled
    # error went out unredacted through Python's last-resort handler (QA pass 12, #2).
    configure_logging()
    app = create_app(open_context())
    gc.collect()
    gc.freeze()  # see web/cli.py: start-up objects stay out of the collector's way
    return app
