"""The one typed Settings object: everything the desk reads from the environment lives here."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration, read once from ``XIAODIAN_*`` variables and passed down explicitly."""

    model_config = SettingsConfigDict(env_prefix="XIAODIAN_", extra="ignore")

    database_url: str = "sqlite:///./xiaodian.db"
    data_dir: Path = Path("./xiaodian-data")
    # When set, every command and the server take this instant as "now" (demos, tests, replays).
    now: datetime | None = None
    shop_timezone: str = "Asia/Shanghai"
    # The shop a command works on when it names none (XIAODIAN_SHOP, an id from `xiaodian shop list`): a merchant
    # with several stores runs the warehouse's CLI for one of them. Default: the desk's first shop.
    shop: int | None = None
    # Secrets may be given explicitly (base64url, 32 bytes); otherwise generated at first run into data_dir.
    pii_key: str | None = None
    index_key: str | None = None
    session_secret: str | None = None
    session_hours: float = 12.0
    # "auto": Secure cookies whenever the request came over HTTPS.
    cookie_secure: str = "auto"
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_lockout_seconds: int = 900
    # Revealing a buyer's full phone/name/address: at most this many times per user per hour.
    reveal_limit_per_hour: int = 30
    default_language: str = "zh"
    # After-sales node deadlines when the platform gives none (domain.md §4). Assumptions, not platform
    # figures, and shown as such: merchant 48 h to respond, buyer 7 days to ship a return, merchant 10 days
    # to confirm receipt.
    aftersales_merchant_respond_hours: float = 48.0
    aftersales_buyer_return_days: float = 7.0
    aftersales_merchant_receive_days: float = 10.0
    # Reason texts per 品退率 family (JSON lists); empty keeps the defaults of domain.md §4.
    aftersales_quality_reasons: list[str] = []
    aftersales_other_reasons: list[str] = []
    demo: bool = False
    # Threads per web process for request work (database reads, page rendering). Few on purpose: Python runs one
    # thread at a time, and with 40 (the framework's default) a page of 50 orders cost twice its CPU under 20
    # clients (benchmarks/RESULTS.md, 2026-11-27). 4 and 8 measured alike; 8 leaves room for long requests (uploads).
    web_threads: int = Field(8, ge=2, le=200)
    # Kuaidi100 (domain.md §3). Without customer + key the desk runs without live tracking and says so; pushes
    # need the salt (their signature) and a callback URL that reaches POST /hooks/kuaidi100.
    kuaidi100_customer: str | None = None
    kuaidi100_key: str | None = None
    kuaidi100_salt: str | None = None
    kuaidi100_callback_url: str | None = None
    kuaidi100_base_url: str = "https://poll.kuaidi100.com"
    # Logistics anomaly thresholds in hours (issue 5). Defaults are assumptions, shown as such on screen:
    # (warning, timeout, serious) for pickup after shipping and for no new scan after the last one.
    logistics_pickup_hours: tuple[float, float, float] = (20, 24, 48)
    logistics_stalled_hours: tuple[float, float, float] = (36, 48, 72)
    logistics_lost_hours: float = 7 * 24
    logistics_locker_hours: float = 48
    # Douyin Open Platform (domain.md §5, issue 8). The sync window and overlap are assumptions (the platform's
    # exact window limit is not public): pull by update_time in windows this wide, re-reading the last minutes.
    douyin_gateway: str = "https://openapi-fxg.jinritemai.com"
    douyin_sign_method: str = "hmac-sha256"
    douyin_timeout_seconds: float = 10.0
    douyin_sync_window_hours: float = 24.0
    douyin_sync_overlap_minutes: float = 10.0
    douyin_first_sync_days: float = 7.0

    @field_validator("now")
    @classmethod
    def _now_must_have_offset(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("XIAODIAN_NOW needs a UTC offset, e.g. 2026-11-24T18:00:00+08:00")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
