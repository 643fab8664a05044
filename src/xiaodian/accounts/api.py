"""REST API for users, API tokens and the audit log."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..clock import iso
from ..errors import DomainError, ValidationFailed
from ..spreadsheets import csv_text
from ..web import audit_words
from ..web.i18n import N_, gettext, label
from ..web.templating import shop_time
from ..web.openapi import ERROR_RESPONSES
from ..web.deps import SESSION_COOKIE, db, get_ctx, require
from . import audit, users
from .models import User
from .service import Principal

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=ERROR_RESPONSES)


class UserOut(BaseModel):
    login: str
    role: str
    display_name: str | None
    disabled: bool
    created_at: str | None
    last_login_at: str | None = Field(None, description="start of the newest web session (list only)")
    live_sessions: int | None = Field(None, description="web sessions not ended or expired (list only)")


class UserIn(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    role: str = Field(pattern="^(owner|cs|warehouse)$")
    display_name: str | None = Field(None, max_length=100)


class RoleIn(BaseModel):
    role: str = Field(pattern="^(owner|cs|warehouse)$")


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=200)


class TokenIn(BaseModel):
    name: str = Field("api", min_length=1, max_length=100)
    login: str | None = Field(None, max_length=64, description="owners may create tokens for others")


class TokenOut(BaseModel):
    id: int
    login: str
    name: str
    prefix: str
    created_at: str | None
    last_used_at: str | None
    revoked: bool


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; store it now")


class MeOut(BaseModel):
    login: str
    role: str
    channel: str


class AuditEntryOut(BaseModel):
    id: int
    at: str | None
    login: str | None
    channel: str
    action: str
    shop_id: int | None
    target_type: str | None
    target_id: str | None
    before: dict | list | str | int | None
    after: dict | list | str | int | None
    detail: dict | list | str | int | None


class AuditPage(BaseModel):
    total: int
    entries: list[AuditEntryOut]


def _user_out(user) -> UserOut:
    return UserOut(login=user.login, role=user.role, display_name=user.display_name,
                   disabled=user.disabled_at is not None, created_at=iso(user.created_at))


def _token_out(token, login: str) -> TokenOut:
    return TokenOut(id=token.id, login=login, name=token.name, prefix=token.prefix, created_at=iso(token.created_at),
                    last_used_at=iso(token.last_used_at), revoked=token.revoked_at is not None)


@router.get("/me", response_model=MeOut, summary="Who am I (login, role)")
def me(principal: Principal = Depends(require("tokens.own"))):
    return MeOut(login=principal.login, role=principal.role, channel=principal.channel)


class OwnPasswordIn(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


@router.put("/me/password", response_model=UserOut, summary="Change my own password (give the current one)")
def change_own_password(body: OwnPasswordIn, request: Request, principal: Principal = Depends(require("account.own")),
                        session: Session = Depends(db, scope="function")):
    """Every web session of the caller ends (but the one calling, if any). A wrong current password is a failed
    login: it counts towards the lockout (429 ``login_locked`` after too many), so a leaked token cannot be used to
    guess the password."""
    ctx = get_ctx(request)
    try:
        user = users.change_own_password(session, principal, current=body.current_password, new=body.new_password,
                                         now=ctx.clock.now(), settings=ctx.settings,
                                         keep_session=request.cookies.get(SESSION_COOKIE))
    except DomainError as exc:
        if exc.code == "wrong_password":
            session.commit()  # keep the failed attempt
        raise
    return _user_out(user)


@router.get("/users", response_model=list[UserOut], summary="List users")
def list_users(request: Request, principal: Principal = Depends(require("users.manage")),
               session: Session = Depends(db, scope="function")):
    seen = users.session_summary(session, principal, get_ctx(request).clock.now())
    out = []
    for user in users.list_users(session, principal):
        last, live = seen.get(user.id, (None, 0))
        out.append(_user_out(user).model_copy(update={"last_login_at": iso(last), "live_sessions": live}))
    return out


@router.post("/users", response_model=UserOut, status_code=201, summary="Add a user")
def add_user(body: UserIn, request: Request, principal: Principal = Depends(require("users.manage")),
             session: Session = Depends(db, scope="function")):
    user = users.create_user(session, principal, login=body.login, password=body.password, role=body.role,
                             now=get_ctx(request).clock.now(), display_name=body.display_name)
    return _user_out(user)


@router.post("/users/{login}/disable", response_model=UserOut, summary="Disable a user (ends sessions, revokes tokens)")
def disable_user(login: str, request: Request, principal: Principal = Depends(require("users.manage")),
                 session: Session = Depends(db, scope="function")):
    return _user_out(users.disable_user(session, principal, login=login, now=get_ctx(request).clock.now()))


@router.post("/users/{login}/enable", response_model=UserOut, summary="Enable a disabled user")
def enable_user(login: str, request: Request, principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db, scope="function")):
    return _user_out(users.enable_user(session, principal, login=login, now=get_ctx(request).clock.now()))


@router.put("/users/{login}/role", response_model=UserOut, summary="Change a user's role")
def change_role(login: str, body: RoleIn, request: Request, principal: Principal = Depends(require("users.manage")),
                session: Session = Depends(db, scope="function")):
    return _user_out(users.change_role(session, principal, login=login, role=body.role,
                                       now=get_ctx(request).clock.now()))


@router.put("/users/{login}/password", response_model=UserOut, summary="Set a user's password")
def set_password(login: str, body: PasswordIn, request: Request,
                 principal: Principal = Depends(require("users.manage")), session: Session = Depends(db, scope="function")):
    return _user_out(users.reset_password(session, principal, login=login, password=body.password,
                                          now=get_ctx(request).clock.now()))


@router.get("/tokens", response_model=list[TokenOut], summary="My API tokens (owners: everyone's)")
def list_tokens(principal: Principal = Depends(require("tokens.own")), session: Session = Depends(db, scope="function")):
    return [_token_out(t, login) for t, login in users.list_tokens(session, principal)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, summary="Create an API token (shown once)")
def create_token(body: TokenIn, request: Request, principal: Principal = Depends(require("tokens.own")),
                 session: Session = Depends(db, scope="function")):
    login = body.login or principal.login
    row, secret = users.create_token(session, principal, login=login, name=body.name, now=get_ctx(request).clock.now())
    return TokenCreated(**_token_out(row, login).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke an API token")
def revoke_token(token_id: int, request: Request, principal: Principal = Depends(require("tokens.own")),
                 session: Session = Depends(db, scope="function")):
    token = users.revoke_token(session, principal, token_id=token_id, now=get_ctx(request).clock.now())
    return _token_out(token, session.get(User, token.user_id).login)


def audit_filter(login: str | None, action: str | None, channel: str | None, since: datetime | None,
                 until: datetime | None, q: str | None, limit: int, offset: int) -> audit.AuditFilter:
    from ..clock import FILTER_YEARS, SHOP_TZ, check_filter_range, plausible_date

    def aware(name: str, value):
        if value is None:
            return None
        if not plausible_date(value):  # 0001-01-01 would overflow the UTC conversion
            raise ValidationFailed(f"{name}: the date must be between {FILTER_YEARS[0]} and {FILTER_YEARS[1]}",
                                   details={"field": name})
        return value.replace(tzinfo=SHOP_TZ) if value.tzinfo is None else value

    since, until = aware("since", since), aware("until", until)
    check_filter_range("since", since, "until", until)
    return audit.AuditFilter(login=login, action=action, channel=channel, since=since, until=until, text=q,
                             limit=limit, offset=offset)


@router.get("/audit", response_model=AuditPage, summary="Search the audit log, newest first")
def audit_log(
    user: str | None = Query(None, max_length=64), action: str | None = Query(None, max_length=64),
    channel: str | None = Query(None, max_length=16), since: datetime | None = None, until: datetime | None = None,
    q: str | None = Query(None, max_length=100), limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000_000), principal: Principal = Depends(require("audit.read")),
    session: Session = Depends(db, scope="function"),
):
    total, entries = audit.search(session, audit_filter(user, action, channel, since, until, q, limit, offset))
    return AuditPage(total=total, entries=[AuditEntryOut(**audit.entry_json(e)) for e in entries])


def audit_csv(entries) -> Response:
    """For scripts (the API): the stable columns, keys and JSON that never change, then the same entry in words
    (web.audit_words) in the reader's language."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "login", "channel", "action", "target_type", "target_id", "before", "after", "detail",
                     "action_words", "change_words"])
    for e in entries:
        said = audit_words.describe(audit.entry_json(e))
        writer.writerow([csv_text(v) for v in (e.id, iso(e.at), e.login, e.channel, e.action, e.target_type,
                                               e.target_id, e.before or "", e.after or "", e.detail or "",
                                               said["action_label"], "; ".join(audit_words.summary_lines(said)))])
    return _csv_response(buffer)


# The 操作日志 page's export is read by an owner in Excel after a dispute: headers in the reader's language, the
# time in shop time, the actor and the target in words, one cell of changes (QA pass 6, #16: its headers were
# English keys). The action's key and the entry's number stay at the end, to quote to whoever keeps the desk.
READER_COLUMNS = (N_("Time"), N_("Who"), N_("Channel"), N_("Action"), N_("Target"), N_("Target id"),
                  N_("Changes and details"), N_("Action key"), N_("Entry no."))


def audit_csv_for_reader(entries) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([gettext(c) for c in READER_COLUMNS])
    for e in entries:
        said = audit_words.describe(audit.entry_json(e))
        writer.writerow([csv_text(v) for v in (
            shop_time(e.at, "%Y-%m-%d %H:%M:%S"), said["who"], label("via", e.channel), said["action_label"],
            said["target_words"], e.target_id or "", "\n".join(audit_words.summary_lines(said)), e.action, e.id)])
    return _csv_response(buffer)


def _csv_response(buffer: io.StringIO) -> Response:
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="audit.csv"'})


@router.get("/audit.csv", summary="Export the audit log (CSV, UTF-8 with BOM for Excel)")
def audit_export(
    user: str | None = Query(None, max_length=64), action: str | None = Query(None, max_length=64),
    channel: str | None = Query(None, max_length=16), since: datetime | None = None, until: datetime | None = None,
    q: str | None = Query(None, max_length=100),
    principal: Principal = Depends(require("audit.read")), session: Session = Depends(db, scope="function"),
):
    _total, entries = audit.search(session, audit_filter(user, action, channel, since, until, q, 10_000, 0))
    return audit_csv(entries)
