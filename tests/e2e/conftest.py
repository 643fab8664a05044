"""End-to-end tests (HTTP pages and API, CLI) run on SQLite, except the modules marked ``both_backends``.

Pages, the API and the CLI sit on the same services and queries that tests/integration runs on SQLite and on
PostgreSQL; running every page-composition test a second time on PostgreSQL doubled this folder's share of CI (some
400 tests, four minutes of a slow 2-core machine's 30) and caught nothing the integration tests did not. Modules where
the database shows through the web layer keep both backends by ``pytestmark = pytest.mark.both_backends``: the order
API's contract and times, injection strings, authentication and sessions, concurrent requests, background job
leases, imports over HTTP, shop scoping, the reading routes. The other modules' PostgreSQL cases are deselected
(pytest's summary counts them), not skipped.
"""

from __future__ import annotations


def _on_postgres(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("backend") == "postgres"


def pytest_collection_modifyitems(config, items):
    here = __file__.rsplit("/", 1)[0] + "/"
    dropped = [item for item in items if str(item.fspath).startswith(here) and _on_postgres(item)
               and item.get_closest_marker("both_backends") is None]
    if dropped:
        kept = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in kept]
        config.hook.pytest_deselected(items=dropped)
