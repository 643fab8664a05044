"""The shop's reason → family mapping used by 品退率 and the family filter: the default (domain.md §4, or the
XIAODIAN_AFTERSALES_*_REASONS settings) with the owner's overrides kept in the database, each change audited.

Only the mapping is configurable here: the buyer's reasons themselves are never edited (reasons are
append-only); moving a text between families changes how every case with that text is counted, past ones
included, and the 品退率 page and the audit log both show it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts import audit
from ..accounts.permissions import check
from ..accounts.service import Principal
from ..errors import ValidationFailed
from .models import AfterSaleReason, AfterSaleReasonFamily
from .reasons import OTHER_REASONS, QUALITY_REASONS, Family, FamilyMap, family_map, normalise

CHOICES = (Family.QUALITY.value, Family.OTHER.value, "default")
MAX_TEXT = 100


def base_map(settings) -> FamilyMap:
    """The mapping before the owner's overrides: domain.md §4 unless the environment settings replace it."""
    if settings is None:
        return FamilyMap()
    return family_map(settings.aftersales_quality_reasons, settings.aftersales_other_reasons)


def overrides(session: Session, shop_id: int) -> dict[str, str]:
    return dict(session.execute(select(AfterSaleReasonFamily.reason_text, AfterSaleReasonFamily.family)
                                .where(AfterSaleReasonFamily.shop_id == shop_id)).all())


def current_map(session: Session, shop_id: int, settings) -> FamilyMap:
    """The mapping every report and filter of the shop uses (one small query per request)."""
    return base_map(settings).with_overrides(overrides(session, shop_id))


def mapping_rows(session: Session, shop_id: int, settings) -> list[dict]:
    """Every reason text worth showing: the default lists, the owner's overrides and every text buyers of the
    shop have given (with how often), each with its default and its current family."""
    base = base_map(settings)
    moved = overrides(session, shop_id)
    effective = base.with_overrides(moved)
    uses = dict(session.execute(select(AfterSaleReason.text, func.count()).where(AfterSaleReason.shop_id == shop_id)
                                .group_by(AfterSaleReason.text)).all())
    texts: dict[str, str] = {}
    for text in (*base.quality, *base.other, *QUALITY_REASONS, *OTHER_REASONS, *moved, *uses):
        texts.setdefault(normalise(text), text)
    counted: dict[str, int] = {}
    for text, n in uses.items():
        counted[normalise(text)] = counted.get(normalise(text), 0) + n
    rows = [{"text": shown, "key": key, "uses": counted.get(key, 0), "default": base.family(shown).value,
             "family": effective.family(shown).value, "overridden": key in moved} for key, shown in texts.items()]
    rows.sort(key=lambda r: (r["family"] != Family.QUALITY.value, -r["uses"], r["text"]))
    return rows


def set_family(session: Session, *, shop_id: int, reason_text: str, family: str, principal: Principal, now: datetime,
               settings) -> dict:
    """Owners only (settings.manage). ``family`` is quality, other, or default (drop the override). A choice
    equal to the default keeps no row. Audited before → after; an unchanged choice writes nothing."""
    check(principal.role, "settings.manage")
    text = " ".join((reason_text or "").split())
    if not text:
        raise ValidationFailed("write the reason text exactly as buyers see it", code="reason_text_required",
                               details={"field": "reason_text"})
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"a reason text has at most {MAX_TEXT} characters", details={"field": "reason_text"})
    if family not in CHOICES:
        raise ValidationFailed("family must be one of " + ", ".join(CHOICES), code="family_unknown",
                               details={"field": "family"})
    key = normalise(text)
    base = base_map(settings)
    row = session.get(AfterSaleReasonFamily, (shop_id, key))
    before = {"family": base.with_overrides(overrides(session, shop_id)).family(text).value,
              "override": row.family if row else None}
    wanted = None if family == "default" or family == base.family(text).value else family
    if wanted == (row.family if row else None):
        return before
    if wanted is None:
        session.delete(row)
    elif row is None:
        session.add(AfterSaleReasonFamily(shop_id=shop_id, reason_text=key, family=wanted, updated_at=now,
                                          updated_by=principal.login))
    else:
        row.family, row.updated_at, row.updated_by = wanted, now, principal.login
    session.flush()
    after = {"family": current_map(session, shop_id, settings).family(text).value, "override": wanted}
    audit.record(session, principal=principal, action="aftersales.reason_family", now=now, shop_id=shop_id,
                 target_type="reason", target_id=key[:64], before=before, after=after, detail={"reason_text": text})
    return after


def recent_changes(session: Session, shop_id: int, limit: int = 10) -> list[dict]:
    """The last changes of the mapping, from the audit log (who, when, before → after)."""
    _total, entries = audit.search(session, audit.AuditFilter(action="aftersales.reason_family", limit=limit))
    return [audit.entry_json(e) for e in entries if e.shop_id in (None, shop_id)]
