"""Everything a command or request needs, built once at start-up and passed down (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .clock import Clock, clock_from_settings
from .db import make_engine, make_session_factory
from .privacy.crypto import PiiCipher
from .privacy.keys import Keys, load_or_create_keys
from .settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keys: Keys
    cipher: PiiCipher
    clock: Clock

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None, create_keys: bool = True) -> AppContext:
        keys = load_or_create_keys(settings, create=create_keys)
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            keys=keys,
            cipher=PiiCipher(keys),
            clock=clock or clock_from_settings(settings),
        )
