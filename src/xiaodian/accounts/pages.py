"""Pages for owners: users (add, disable, role, password), API tokens, and the audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from ..clock import SHOP_TZ, plausible_date
from ..errors import DomainError, ValidationFailed
from ..web import audit_words, notices
from ..web.deps import SESSION_COOKIE, db, get_ctx, require
from ..web.i18n import gettext as _
from ..web.paging import page_number
from ..web.templating import render
from . import audit, users
from .api import audit_csv_for_reader
from .service import ROLES, Principal

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100


def _users_page(request, session, principal, *, error=None, notice=None, status=200, form=None):
    """``form``: a refused 添加账号 as typed (login and role, never the password), so the owner fixes only what was
    wrong instead of retyping — and does not add a warehouse clerk as 客服 by a role select back at its default."""
    return render(request, "accounts/users.html", status_code=status, users=users.list_users(session, principal),
                  sessions=users.session_summary(session, principal, get_ctx(request).clock.now()),
                  roles=ROLES, error=error, notice=notice, form=form or {},
                  error_field=(error.details or {}).get("field") if error is not None else None)


@router.get("/settings/users")
def users_page(request: Request, principal: Principal = Depends(require("users.manage")),
               session: Session = Depends(db, scope="function")):
    return _users_page(request, session, principal, notice=_done_words(notices.read(request, "done")))


def _done_words(done: str | None) -> str | None:
    """The signed notice ``kind:login[:role]`` in the reader's language ("已添加用户 kefu2")."""
    if not done:
        return None
    kind, _sep, rest = done.partition(":")
    login, _sep, role = rest.partition(":")
    words = {"added": _("User %(login)s added"), "disabled": _("User %(login)s disabled"),
             "enabled": _("User %(login)s enabled"), "password": _("Password of %(login)s changed"),
             "role": _("Role of %(login)s is now %(role)s")}.get(kind)
    return words % {"login": login, "role": _(role)} if words else None


def _user_action(request, session, principal, action, done: str, form: dict | None = None):
    """Run an owner action; on a refused one show the page again with the reason (and ``form`` as typed), keeping
    nothing half-done."""
    try:
        action(get_ctx(request).clock.now())
        session.flush()
    except DomainError as exc:
        session.rollback()
        return _users_page(request, session, principal, error=exc, status=exc.http_status, form=form)
    return RedirectResponse("/settings/users?" + urlencode(notices.signed(request, "done", done)), status_code=303)


@router.post("/settings/users")
def add_user(request: Request, login: str = Form(""), password: str = Form(""), role: str = Form("cs"),
             principal: Principal = Depends(require("users.manage")), session: Session = Depends(db, scope="function")):
    return _user_action(request, session, principal,
                        lambda now: users.create_user(session, principal, login=login, password=password, role=role,
                                                      now=now), f"added:{login}",
                        form={"login": login, "role": role})


@router.post("/settings/users/{login}/disable")
def disable_user(login: str, request: Request, principal: Principal = Depends(require("users.manage")),
                 session: Session = Depends(db, scope="function")):
    return _user_action(request, session, principal,
                        lambda now: users.disable_user(session, principal, login=login, now=now), f"disabled:{login}")


@router.post("/settings/users/{login}/enable")
def enable_user(login: str, request: Request, principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db, scope="function")):
    return _user_action(request, session, principal,
                        lambda now: users.enable_user(session, principal, login=login, now=now), f"enabled:{login}")


@router.post("/settings/users/{login}/role")
def change_role(login: str, request: Request, role: str = Form(""),
                principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db, scope="function")):
    return _user_action(request, session, principal,
                        lambda now: users.change_role(session, principal, login=login, role=role, now=now),
                        f"role:{login}:{role}")


@router.post("/settings/users/{login}/password")
def reset_password(login: str, request: Request, password: str = Form(""),
                   principal: Principal = Depends(require("users.manage")),
                   session: Session = Depends(db, scope="function")):
    return _user_action(request, session, principal,
                        lambda now: users.reset_password(session, principal, login=login, password=password, now=now),
                        f"password:{login}")


@router.get("/settings/password")
def password_page(request: Request, principal: Principal = Depends(require("account.own"))):
    return render(request, "accounts/password.html", error=None,
                  changed=notices.read(request, "done") == f"password:{principal.login}")


@router.post("/settings/password")
def change_password(request: Request, current_password: str = Form(""), password: str = Form(""),
                    password_again: str = Form(""), principal: Principal = Depends(require("account.own")),
                    session: Session = Depends(db, scope="function")):
    """Change one's own password; the session in use stays, every other one ends (users.change_own_password)."""
    ctx = get_ctx(request)
    try:
        if password != password_again:
            raise ValidationFailed("the two new passwords differ", code="passwords_differ",
                                   details={"field": "password_again"})
        users.change_own_password(session, principal, current=current_password, new=password, now=ctx.clock.now(),
                                  settings=ctx.settings, keep_session=request.cookies.get(SESSION_COOKIE))
    except DomainError as exc:
        if exc.code == "wrong_password":
            session.commit()  # nothing was changed but the failed attempt, which counts towards the login lockout
        else:
            session.rollback()
        return render(request, "accounts/password.html", status_code=exc.http_status, error=exc, changed=False)
    return RedirectResponse("/settings/password?" + urlencode(notices.signed(request, "done",
                                                                             f"password:{principal.login}")),
                            status_code=303)


@router.get("/settings/tokens")
def tokens_page(request: Request, principal: Principal = Depends(require("tokens.own")),
                session: Session = Depends(db, scope="function")):
    return render(request, "accounts/tokens.html", tokens=users.list_tokens(session, principal), created=None)


@router.post("/settings/tokens")
def create_token(request: Request, name: str = Form("api"), principal: Principal = Depends(require("tokens.own")),
                 session: Session = Depends(db, scope="function")):
    row, secret = users.create_token(session, principal, login=principal.login, name=name[:100] or "api",
                                     now=get_ctx(request).clock.now())
    session.flush()
    return render(request, "accounts/tokens.html", tokens=users.list_tokens(session, principal), created=secret)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(token_id: int, request: Request, principal: Principal = Depends(require("tokens.own")),
                 session: Session = Depends(db, scope="function")):
    users.revoke_token(session, principal, token_id=token_id, now=get_ctx(request).clock.now())
    return RedirectResponse("/settings/tokens", status_code=303)


def _day(value: str | None, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if not plausible_date(day):  # 0001-01-01 would overflow the shop-time conversion
        return None
    if end:  # "until 11-20" includes the whole of the 20th
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=SHOP_TZ)


def _audit_filter(params, limit: int, offset: int) -> audit.AuditFilter:
    return audit.AuditFilter(login=params.get("user") or None, action=params.get("action") or None,
                             channel=params.get("channel") or None, since=_day(params.get("since")),
                             until=_day(params.get("until"), end=True), text=(params.get("q") or "")[:100] or None,
                             limit=limit, offset=offset)


@router.get("/audit")
def audit_page(request: Request, principal: Principal = Depends(require("audit.read")),
               session: Session = Depends(db, scope="function")):
    params = request.query_params
    page = page_number(params.get("page"))
    total, entries = audit.search(session, _audit_filter(params, AUDIT_PAGE, (page - 1) * AUDIT_PAGE))
    keep = {k: v for k, v in params.items() if v and k != "page"}
    return render(request, "accounts/audit.html", total=total,
                  entries=[audit_words.describe(audit.entry_json(e)) for e in entries],
                  action_choices=audit_words.action_choices(params.get("action")), params=keep, page=page,
                  pages=max((total + AUDIT_PAGE - 1) // AUDIT_PAGE, 1),
                  export_url="/audit/export.csv?" + urlencode(keep), query=urlencode(keep))


@router.get("/audit/export.csv")
def audit_export(request: Request, principal: Principal = Depends(require("audit.read")),
                 session: Session = Depends(db, scope="function")):
    _total, entries = audit.search(session, _audit_filter(request.query_params, 10_000, 0))
    return audit_csv_for_reader(entries)
