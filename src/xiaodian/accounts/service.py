"""Use cases for people and credentials: users, login with throttling, web sessions, API tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..db import best_effort_write, hold_locks
from ..errors import Conflict, ConfigurationError, NotFound, Throttled, Unauthenticated, ValidationFailed
from .models import ApiToken, LoginAttempt, Meta, Shop, User, WebSession
from .passwords import check_policy, hash_password, verify_password

ROLES = ("owner", "cs", "warehouse")
TOKEN_PREFIX = "xdt_"


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user (through web, API or CLI), or the system itself (jobs, sync)."""

    user_id: int | None
    login: str
    role: str
    channel: str  # web / api / cli / job / sync


def ensure_shop(session: Session, now: datetime, name: str = "我的小店") -> Shop:
    shop = session.execute(select(Shop).order_by(Shop.id).limit(1)).scalar_one_or_none()
    if shop is None:
        shop = Shop(name=name, created_at=now)
        session.add(shop)
        session.flush()
    return shop


def check_key_fingerprint(session: Session, fingerprint: str) -> None:
    """Refuse to run with a PII key other than the one the stored buyer data was written with."""
    row = session.get(Meta, "pii_key_fingerprint")
    if row is None:
        session.add(Meta(key="pii_key_fingerprint", value=fingerprint))
        session.flush()
    elif row.value != fingerprint:
        raise ConfigurationError(
            "the PII key does not match the one this database was written with; restore the original "
            "secrets.json (or XIAODIAN_PII_KEY) instead of generating a new one"
        )


def add_user(session: Session, *, login: str, password: str, role: str, now: datetime,
             display_name: str | None = None) -> User:
    login = login.strip()
    if not login or len(login) > 64 or any(c.isspace() for c in login):
        raise ValidationFailed("login must be 1–64 characters without spaces", code="login_invalid",
                               details={"field": "login"})
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", details={"field": "role"})
    if session.execute(select(User.id).where(User.login == login)).first():
        raise Conflict(f"user {login} already exists", code="user_exists", details={"field": "login"})
    check_policy(password, login)
    user = User(login=login, password_hash=hash_password(password), role=role, created_at=now,
                password_changed_at=now, display_name=display_name)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, login: str) -> User | None:
    return session.execute(select(User).where(User.login == login)).scalar_one_or_none()


def require_user(session: Session, login: str) -> User:
    user = get_user(session, login)
    if user is None:
        raise NotFound(f"user {login} not found", details={"login": login})
    return user


def authenticate(session: Session, *, login: str, password: str, now: datetime, settings,
                 remote_addr: str | None = None) -> User:
    """Check a password, with throttling: after N failures within the window the login is locked for a
    while, and during the lockout even the right password is refused.

    Concurrency: the attempt is recorded as a failure before the password is checked, in a short transaction of its
    own that first locks the login and counts (``_reserve_attempt``); a right password withdraws that reservation
    and records its success with the caller's work, as before. Counting, then checking, then recording let every
    attempt of a burst pass the count (QA pass 5, E4: 20 of 40 parallel wrong passwords were checked against a limit
    of 5); now at most the limit are checked per lockout, however many arrive at once. The slow hash (argon2id,
    50-250 ms) runs with no lock held: on SQLite a lock held through it would stall every other writer of the desk.
    The caller must not have written in ``session`` yet (on SQLite the reservation would wait for the caller's own
    write lock)."""
    key = login[:64]
    engine = session.get_bind()
    attempt_id = _reserve_attempt(engine, key, now, settings, remote_addr)
    user = get_user(session, login)
    ok = verify_password(user.password_hash if user else None, password) and user is not None
    if ok and user.disabled_at is not None:
        ok = False
    if not ok:
        raise Unauthenticated("wrong login or password", code="bad_credentials")  # the reservation stays: a failure
    # A success, recorded with the caller's work as before (so it counts only if the login or change commits); the
    # reservation is withdrawn at once.
    with Session(engine) as own, own.begin():
        own.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
    session.add(LoginAttempt(login=key, at=now, success=True, remote_addr=remote_addr))
    return user


def _reserve_attempt(engine, login: str, now: datetime, settings, remote_addr: str | None) -> int:
    """Refuse the attempt while the login is locked out; else record it as a failure (until it proves right) and
    return its id. Committed at once, in a transaction of its own that holds the login's lock (an advisory lock on
    PostgreSQL; SQLite's write lock) only while it counts and inserts: every attempt after it counts this one."""
    with Session(engine) as own, own.begin():
        hold_locks(own, [f"login:{login}"])
        window_start = now - timedelta(seconds=settings.login_window_seconds)
        recent = own.execute(
            select(LoginAttempt.at, LoginAttempt.success).where(LoginAttempt.login == login,
                                                                LoginAttempt.at >= window_start)
            .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
        ).all()
        failures = []
        for at, success in recent:
            if success:
                break
            failures.append(at)
        if len(failures) >= settings.login_max_failures:
            locked_until = failures[0] + timedelta(seconds=settings.login_lockout_seconds)
            if now < locked_until:
                raise Throttled("too many failed logins; try again later", code="login_locked",
                                details={"retry_after_seconds": int((locked_until - now).total_seconds())})
        return own.execute(insert(LoginAttempt).values(login=login, at=now, success=False, remote_addr=remote_addr)
                           .returning(LoginAttempt.id)).scalar_one()


def start_session(session: Session, user: User, now: datetime, hours: float, user_agent: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_sha(token), user_id=user.id, csrf_token=secrets.token_urlsafe(24),
                           created_at=now, expires_at=now + timedelta(hours=hours), last_seen_at=now,
                           user_agent=(user_agent or "")[:300]))
    return token


def resolve_session(session: Session, token: str, now: datetime) -> tuple[WebSession, User] | None:
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.token_hash == _sha(token))
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.revoked_at or web_session.expires_at <= now or user.disabled_at:
        return None
    return web_session, user


def end_session(session: Session, token: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.token_hash == _sha(token)).values(revoked_at=now))


def end_all_sessions(session: Session, user_id: int, now: datetime, *, except_token: str | None = None) -> int:
    """End every live session of a user (but the one whose cookie is ``except_token``, when given)."""
    stmt = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(WebSession.token_hash != _sha(except_token))
    return session.execute(stmt.values(revoked_at=now)).rowcount


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Returns the row and the token text, which is shown once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:100] or "cli", token_hash=_sha(secret), prefix=secret[:10],
                   created_at=now)
    session.add(row)
    session.flush()
    return row, secret


# A token's last use is recorded coarsely, so that API reads do not write on every request.
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)


# The bearer-token check of every API call, as plain columns: ORM objects for the token and its user cost a tenth
# of an API call's CPU. Built once, at import.
_TOKEN_COLUMNS = (select(User.id, User.login, User.role, User.disabled_at, ApiToken.revoked_at, ApiToken.last_used_at)
                  .join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("hash")))


def token_principal(session: Session, secret: str, now: datetime) -> Principal | None:
    """Who an API bearer token acts for, or None (unknown, revoked, or its user disabled). When the token's
    coarse last-used time is due, the use is recorded in a transaction of its own (record_token_use), so the
    request's own stays a reader."""
    principal, due_use = token_lookup(session, secret, now)
    if due_use is not None:
        record_token_use(session.get_bind(), *due_use)
    return principal


def token_lookup(session: Session, secret: str, now: datetime) -> tuple[Principal | None, tuple[str, datetime] | None]:
    """token_principal without the write: the principal, and the (token hash, time) to give record_token_use
    when the token's use is due to be recorded (else None). For callers that must choose where that write runs."""
    digest = _sha(secret)
    row = session.execute(_TOKEN_COLUMNS, {"hash": digest}).first()
    if row is None:
        return None, None
    user_id, login, role, disabled_at, revoked_at, last_used_at = row
    if revoked_at or disabled_at:
        return None, None
    due = last_used_at is None or now - last_used_at > TOKEN_USE_RECORDED_EVERY
    return Principal(user_id, login, role, "api"), ((digest, now) if due else None)


def record_token_use(engine: Engine, token_hash: str, now: datetime) -> bool:
    """Note the token's use (at most once a TOKEN_USE_RECORDED_EVERY), best effort: when the database is busy
    (an import's batch holds SQLite's write lock) the API call goes on unrecorded and a later call records it.

    Why apart from the request: inside it, the first call of each minute turned a read into a write that held
    SQLite's write lock until the response was built, and other requests waited their busy timeout behind it."""
    if not _TOKEN_USE_WRITE.acquire(blocking=False):
        return False  # another request of this process is recording a use right now; a later call records this one
    try:
        due = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_RECORDED_EVERY)
        return best_effort_write(engine, update(ApiToken).where(ApiToken.token_hash == token_hash, due)
                                 .values(last_used_at=now))
    finally:
        _TOKEN_USE_WRITE.release()


# At most one token-use write in flight per process: it takes a connection beside its request's own, and the web app
# admits one request fewer than the pool holds to leave room for it (web.app.AdmissionLimit).
_TOKEN_USE_WRITE = threading.Lock()


def revoke_token(session: Session, token_id: int, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


def count_users(session: Session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()
