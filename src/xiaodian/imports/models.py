"""The import_jobs table (migration 0026): one row per large file checked (dry run) or imported in the background,
how far its worker got, and its report."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigId, UTCDateTime
from .domain import percent, resumed_from


class ImportJob(Base):
    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_shop", "shop_id", "id"), Index("ix_import_jobs_status", "status", "id"),
                      Index("ix_import_jobs_unnoticed", "user_id", "noticed_at", "finished_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    login: Mapped[str] = mapped_column(String(64))  # who uploaded, as shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    upload_id: Mapped[str] = mapped_column(String(32))  # the parked file (channels/exportfile/uploads.py)
    file_name: Mapped[str] = mapped_column(String(200))  # as the merchant named it, for display only
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    dry_run: Mapped[bool] = mapped_column(Boolean)  # the preview (nothing changes) or the import itself
    # the preview this import applies: one import per preview, so a second click on Apply finds the first
    preview_of: Mapped[int | None] = mapped_column(ForeignKey("import_jobs.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12))
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    report_json: Mapped[str | None] = mapped_column(Text)  # domain.stored_report
    # an import's progress as committed, batch by batch (domain.checkpoint): a worker that takes the job over from
    # a dead one carries on from there (migration 0027)
    checkpoint_json: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(String(400))
    error_details: Mapped[str | None] = mapped_column(Text)  # JSON: what the page's translated text names
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when its asker was told it had finished (a notice on a page, or its own page): job_queue.watched_of_user
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def report(self) -> dict | None:
        """The kept report (domain.stored_report), once the job is done."""
        return json.loads(self.report_json) if self.report_json else None

    @property
    def checkpoint(self) -> dict | None:
        """How far an earlier attempt at this import got (domain.checkpoint), if one committed a batch."""
        return json.loads(self.checkpoint_json) if self.checkpoint_json else None

    @property
    def resumed_from(self) -> int | None:
        """Orders an earlier attempt had committed when this one took over from a dead worker (domain.resumed_from)."""
        return resumed_from(self.checkpoint, self.attempts)

    @property
    def error_detail(self) -> dict:
        """What the failure's translated text names (error_details), as a dict."""
        return json.loads(self.error_details) if self.error_details else {}

    @property
    def percent(self) -> int:
        return percent(self.bytes_done, self.size_bytes)

