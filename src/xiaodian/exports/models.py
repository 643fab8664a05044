"""The export_jobs table (migration 0025): one row per export asked for, its filter, how far its worker got, and
where its file lies (data_dir/exports) until it expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, BigId, UTCDateTime


class ExportJob(Base):
    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_shop", "shop_id", "id"), Index("ix_export_jobs_status", "status", "id"),
                      Index("ix_export_jobs_unnoticed", "user_id", "noticed_at", "finished_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    login: Mapped[str] = mapped_column(String(64))  # who asked, as shown (the user may be renamed or removed later)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    format: Mapped[str] = mapped_column(String(8))
    per: Mapped[str] = mapped_column(String(8))
    filter_json: Mapped[str] = mapped_column(Text)  # the list's filters, as the export API takes them
    reveal: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    orders_total: Mapped[int | None] = mapped_column(Integer)
    orders_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(String(80))  # under data_dir/exports; random, never from input
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(String(400))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when its asker was told it had finished (a notice on a page, or its own page): job_queue.watched_of_user
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
