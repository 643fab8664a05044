"""The root ``xiaodian`` command; each capability adds its own sub-commands."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

try:
    from typer._click.exceptions import UsageError  # Typer 0.26 and later carry their own copy of Click
except ImportError:  # pragma: no cover
    from click import UsageError

from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError

from .errors import DomainError

err = Console(stderr=True)

# Whether this run was given --json (set by the root command for each run): with it, every error is also one JSON
# object {"error": {"code", "message", "details"}} on stdout, whichever command or check refused (QA pass 11, #7).
_run_wants_json = False


def wants_json() -> bool:
    return _run_wants_json


def _print_error(message: str, code: str, details: dict | None = None) -> None:
    if _run_wants_json:
        typer.echo(json.dumps({"error": {"code": code, "message": message, "details": details or {}}},
                              ensure_ascii=False))
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)  # one line, as grep and logs want


def _settings_message(exc) -> str:
    """A bad XIAODIAN_* variable as one line naming it (QA pass 11, #3), never pydantic's dump and its URL."""
    parts = []
    for e in exc.errors(include_url=False):
        name = "XIAODIAN_" + "_".join(str(p) for p in e["loc"][:1]).upper()
        text = str(e["msg"]).removeprefix("Value error, ").removeprefix(f"{name} ")
        parts.append(f"{name}: {text}, got {e['input']!r}" if isinstance(e.get("input"), str | int) else
                     f"{name}: {text}")
    return "; ".join(parts)


class RootGroup(TyperGroup):
    """The root command: the one place that turns an error no command translated into one ``error: …`` line (and
    the JSON object with --json) instead of a Python traceback. A bad XIAODIAN_* setting, a path that cannot be
    read or written and a number past the database's integers are the user's to fix: exit 2, as other bad usage.
    A refused action (DomainError) exits 1, as the commands' own refusals do."""

    def invoke(self, ctx: typer.Context):
        from pydantic import ValidationError

        from .web.i18n import current_language

        global _run_wants_json
        args = [*ctx._protected_args, *ctx.args]
        _run_wants_json = "--json" in (args[:args.index("--")] if "--" in args else args)
        language = current_language.set(_run_language())
        try:
            return super().invoke(ctx)
        except UsageError as exc:  # Click prints it and exits 2; a script reading stdout gets the object too
            if _run_wants_json:
                typer.echo(json.dumps({"error": {"code": "usage", "message": exc.format_message(), "details": {}}},
                                      ensure_ascii=False))
            raise
        except DomainError as exc:
            _print_error(exc.message, exc.code, exc.details)
            raise typer.Exit(1) from None
        except ValidationError as exc:
            if exc.title != "Settings":
                raise
            _print_error(_settings_message(exc), "configuration_error")
            raise typer.Exit(2) from None
        except OSError as exc:
            if exc.filename is None:  # a network or system failure is not the user's input: keep the trace
                raise
            _print_error(f"cannot use {exc.filename}: {exc.strerror or exc}", "file_error",
                         {"path": str(exc.filename)})
            raise typer.Exit(2) from None
        except OverflowError:
            from .db import MAX_ROW_ID

            _print_error(f"a number given is too large for the database (ids go up to {MAX_ROW_ID})",
                         "number_too_large")
            raise typer.Exit(2) from None
        except SQLAlchemyOperationalError as exc:
            # The database cannot be reached or used (a wrong port, a server down, a locked file): one line with
            # the driver's reason, not 470 lines of traceback that a supervisor repeats every few seconds (QA pass
            # 12, #3). The address is shown without its password.
            _print_error(f"the database {_database_address()} cannot be used: {_first_line(exc.orig or exc)} "
                         "(is it running, and is XIAODIAN_DATABASE_URL right?)", "database_unavailable")
            raise typer.Exit(1) from None
        finally:
            current_language.reset(language)


def _database_address() -> str:
    """XIAODIAN_DATABASE_URL as the settings read it, its password hidden."""
    from sqlalchemy.engine import make_url

    from .settings import Settings

    try:
        return make_url(Settings().database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - the message is about the database, whatever the settings say
        return "(XIAODIAN_DATABASE_URL)"


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _run_language() -> str:
    """The run's language: XIAODIAN_DEFAULT_LANGUAGE (settings.default_language, Chinese by default), so that the
    sentences the rules write (forecast headline, anomaly evidence, ship-by rule, timeline, inquiry reasons) and the
    status words come out in one language, as the web's (QA pass 11, #5). A bad setting is left for the command to
    report (it opens its context) so that --help still works."""
    from pydantic import ValidationError

    from .settings import Settings
    from .web.i18n import DEFAULT_LANGUAGE, LANGUAGES

    try:
        wanted = Settings().default_language
    except ValidationError:
        return DEFAULT_LANGUAGE
    return wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE


app = typer.Typer(cls=RootGroup, no_args_is_help=True, add_completion=False,
                  help="xiaodian 小店 — order desk for Douyin shops")


# The one --shop of every command that works on one shop (bootstrap.default_shop_id): it wins over XIAODIAN_SHOP, which
# wins over the desk's first shop; an id the desk does not have is refused (shop_not_found), never the first shop.
ShopOption = Annotated[int | None, typer.Option(
    "--shop", metavar="ID", help="which of the desk's shops (an id, see `xiaodian shop list`); default: XIAODIAN_SHOP, "
    "else the first shop")]


def group_shop(command: typer.Context, shop: int | None) -> int | None:
    """A sub-command's --shop, else the one its group was given (`xiaodian aftersales --shop 2 show ID`): a --shop
    written before the sub-command is never silently dropped. Two different ids are refused (exit 2)."""
    outer = command.parent.params.get("shop") if command.parent is not None else None
    if shop is not None and outer is not None and shop != outer:
        fail(f"--shop given twice: {outer} and {shop}", 2)
    return shop if shop is not None else outer


# A refusal that a confirmation lifts, and the option that gives it on the command line: the services say "confirm to
# ship anyway" as the web form has a checkbox; at a terminal the clerk needs the option's name (QA pass 11, #12).
CONFIRM_OPTIONS = {"confirmation_required": "--confirm-warnings",
                   "address_change_unconfirmed": "--confirm-address-change"}


def fail(error: DomainError | str, code: int = 1) -> None:
    """Print ``error: …`` (and, with --json, the error object on stdout) and exit with ``code``."""
    if isinstance(error, DomainError):
        option = CONFIRM_OPTIONS.get(error.code)
        hint = f" (confirm with {option})" if option else ""
        _print_error(error.message + hint, error.code, error.details)
    else:
        _print_error(error, "usage" if code == 2 else "refused")
    raise typer.Exit(code)


def missing_file(file) -> DomainError:
    """The refusal for a FILE argument that is not a readable file: a folder is called a folder (QA pass 11, #12),
    not "no such file" when it plainly exists."""
    if file.is_dir():
        return DomainError(f"{file} is a folder: give the file itself (CSV or XLSX)", code="file_is_folder")
    return DomainError(f"no such file: {file}", code="file_not_found")


def _register() -> None:
    from .accounts.cli import register as register_accounts
    from .orders.cli import register as register_orders
    from .web.cli import register as register_web
    from .channels.exportfile.cli import register as register_import
    from .shipping.cli import register as register_shipping
    from .inquiries.cli import register as register_inquiries
    from .logistics.cli import register as register_logistics

    register_web(app)
    register_accounts(app)
    register_orders(app)
    register_import(app)
    register_shipping(app)
    register_inquiries(app)
    from .aftersales.cli import register as register_aftersales

    register_aftersales(app)
    register_logistics(app)
    from .channels.douyin.cli import register as register_douyin

    register_douyin(app)


def main() -> None:
    _register()
    try:
        app()
    except DomainError as exc:  # anything a command did not translate itself
        err.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)
