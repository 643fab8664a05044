"""Managing people: add, disable, enable, reset password, change role, API tokens. Owners only, all audited.

Disabling a person ends their sessions and revokes their API tokens in the same transaction, so a
dismissed employee is out at once, through every channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from ..db import row_id
from ..errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from . import audit, service
from .models import ApiToken, User, WebSession
from .passwords import check_policy, hash_password
from .permissions import check
from .service import Principal


def _active_owners(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(User).where(User.role == "owner", User.disabled_at.is_(None))
    ).scalar_one()


def _user_view(user: User) -> dict:
    return {"login": user.login, "role": user.role, "disabled": user.disabled_at is not None}


def list_users(session: Session, principal: Principal) -> list[User]:
    check(principal.role, "users.manage")
    return list(session.execute(select(User).order_by(User.login)).scalars())


def create_user(session: Session, principal: Principal, *, login: str, password: str, role: str, now: datetime,
                display_name: str | None = None) -> User:
    check(principal.role, "users.manage")
    user = service.add_user(session, login=login, password=password, role=role, now=now, display_name=display_name)
    audit.record(session, principal=principal, action="user.add", now=now, target_type="user", target_id=user.login,
                 after=_user_view(user))
    return user


def session_summary(session: Session, principal: Principal, now: datetime) -> dict[int, tuple[datetime | None, int]]:
    """Per user: the last login (the newest session's start) and how many sessions are live now, so an owner sees
    who is still logged in somewhere (a dismissed clerk, a lost phone) before disabling or resetting."""
    check(principal.role, "users.manage")
    live = func.sum(case((and_(WebSession.revoked_at.is_(None), WebSession.expires_at > now), 1), else_=0))
    rows = session.execute(select(WebSession.user_id, func.max(WebSession.created_at), live)
                           .group_by(WebSession.user_id)).all()
    return {user_id: (last, int(count or 0)) for user_id, last, count in rows}


def _guard_last_owner(session: Session, user: User, *, losing_owner: bool) -> None:
    if losing_owner and user.role == "owner" and user.disabled_at is None and _active_owners(session) <= 1:
        raise Conflict("the shop must keep at least one active owner", code="last_owner")


def disable_user(session: Session, principal: Principal, *, login: str, now: datetime) -> User:
    check(principal.role, "users.manage")
    user = service.require_user(session, login)
    _guard_last_owner(session, user, losing_owner=True)
    before = _user_view(user)
    if user.disabled_at is None:
        user.disabled_at = now
    ended = service.end_all_sessions(session, user.id, now)
    revoked = session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount
    audit.record(session, principal=principal, action="user.disable", now=now, target_type="user", target_id=login,
                 before=before, after=_user_view(user), detail={"sessions_ended": ended, "tokens_revoked": revoked})
    return user


def enable_user(session: Session, principal: Principal, *, login: str, now: datetime) -> User:
    check(principal.role, "users.manage")
    user = service.require_user(session, login)
    before = _user_view(user)
    user.disabled_at = None
    audit.record(session, principal=principal, action="user.enable", now=now, target_type="user", target_id=login,
                 before=before, after=_user_view(user))
    return user


def change_role(session: Session, principal: Principal, *, login: str, role: str, now: datetime) -> User:
    check(principal.role, "users.manage")
    if role not in service.ROLES:
        from ..errors import ValidationFailed

        raise ValidationFailed(f"role must be one of {', '.join(service.ROLES)}", details={"field": "role"})
    user = service.require_user(session, login)
    _guard_last_owner(session, user, losing_owner=role != "owner")
    before = _user_view(user)
    user.role = role
    service.end_all_sessions(session, user.id, now)  # the new role applies from the next login
    audit.record(session, principal=principal, action="user.role", now=now, target_type="user", target_id=login,
                 before=before, after=_user_view(user))
    return user


def reset_password(session: Session, principal: Principal, *, login: str, password: str, now: datetime) -> User:
    """An owner sets a new password for someone; their sessions end so the old password's sessions die too."""
    if principal.login != login:
        check(principal.role, "users.manage")
    user = service.require_user(session, login)
    check_policy(password, login)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    service.end_all_sessions(session, user.id, now)
    audit.record(session, principal=principal, action="user.password_reset", now=now, target_type="user",
                 target_id=login)
    return user


def change_own_password(session: Session, principal: Principal, *, current: str, new: str, now: datetime, settings,
                        keep_session: str | None = None) -> User:
    """Anyone changes their own password, giving the current one: a session left open on a shared counter
    computer must not be enough to lock its owner out. Wrong current passwords count as failed logins (the same
    throttle), and every other session of the person ends (the one they are using stays, ``keep_session``)."""
    check(principal.role, "account.own")
    try:
        user = service.authenticate(session, login=principal.login, password=current, now=now, settings=settings)
    except Unauthenticated:
        # Kept with the failed attempt (the caller commits both): a string of these is someone guessing.
        audit.record(session, principal=principal, action="user.password_change_refused", now=now,
                     target_type="user", target_id=principal.login, detail={"reason": "wrong_password"})
        raise ValidationFailed("current password is wrong", code="wrong_password",
                               details={"field": "current_password"}) from None
    if new == current:
        raise ValidationFailed("the new password must differ from the current one", code="same_password",
                               details={"field": "password"})
    check_policy(new, user.login)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    ended = service.end_all_sessions(session, user.id, now, except_token=keep_session)
    audit.record(session, principal=principal, action="user.password_change", now=now, target_type="user",
                 target_id=user.login, detail={"sessions_ended": ended})
    return user


def create_token(session: Session, principal: Principal, *, login: str, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A token carries its owner's role: it can never do more than the person could."""
    if principal.login != login:
        check(principal.role, "users.manage")
    else:
        check(principal.role, "tokens.own")
    user = service.require_user(session, login)
    if user.disabled_at is not None:
        raise Conflict(f"user {login} is disabled", code="user_disabled")
    row, secret = service.create_token(session, user, name, now)
    audit.record(session, principal=principal, action="token.create", now=now, target_type="token",
                 target_id=str(row.id), after={"login": login, "name": row.name, "prefix": row.prefix})
    return row, secret


def list_tokens(session: Session, principal: Principal, *, login: str | None = None) -> list[tuple[ApiToken, str]]:
    query = select(ApiToken, User.login).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if login is None or login != principal.login:
        if login is None and principal.role != "owner":
            login = principal.login
        else:
            check(principal.role, "users.manage")
    if login is not None:
        query = query.where(User.login == login)
    return [(token, owner) for token, owner in session.execute(query).all()]


def revoke_token(session: Session, principal: Principal, *, token_id: int, now: datetime) -> ApiToken:
    key = row_id(token_id)  # 10**22 cannot be a token's id, and SQLite's driver would fail on it (QA pass 11, #1)
    token = session.get(ApiToken, key) if key is not None else None
    if token is None:
        raise NotFound(f"token {token_id} not found", details={"token_id": token_id})
    if token.user_id != principal.user_id:
        try:
            check(principal.role, "users.manage")
        except Forbidden:
            raise NotFound(f"token {token_id} not found", details={"token_id": token_id}) from None
    before = token.revoked_at
    service.revoke_token(session, token_id, now)
    if before is None:
        audit.record(session, principal=principal, action="token.revoke", now=now, target_type="token",
                     target_id=str(token_id))
    return token
