"""``xiaodian import orders FILE``."""

import typer


def register(app: typer.Typer) -> None:
    pass
