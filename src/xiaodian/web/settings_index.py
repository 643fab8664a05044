"""GET /settings: the settings pages the signed-in person's role may open, on one page (QA pass 9, #17: /settings
answered 404, though the 设置 menu names it). Each link carries the same permission as its page and its entry in the
menu, so nobody is shown a link that answers 403."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..accounts.permissions import allowed
from ..accounts.service import Principal
from .deps import require
from .i18n import N_, gettext as _
from .templating import render

router = APIRouter(include_in_schema=False)

# (link, permission, title, what it is for), in the 设置 menu's order; the shipping settings live on the forecast page.
SETTINGS_PAGES = (
    ("/shipping/forecast#settings", "settings.manage", N_("Shipping settings"),
     N_("Packing capacity, working hours, the default ship promise, reminders and late-shipment penalties.")),
    ("/settings/aftersales", "settings.manage", N_("After-sales settings"),
     N_("Which buyer reasons count as quality returns; the after-sale deadlines.")),
    ("/settings/logistics", "settings.manage", N_("Logistics anomaly settings"),
     N_("When a parcel not picked up or not moving counts as an anomaly.")),
    ("/settings/douyin", "settings.manage", N_("Douyin connection"),
     N_("The shop's connection to Douyin and whether the desk writes back to it.")),
    ("/settings/users", "users.manage", N_("Users"), N_("Who may log in, and with which role.")),
    ("/exports", "orders.export", N_("Export jobs"), N_("Order lists written in the background to download.")),
    ("/audit", "audit.read", N_("Audit log"), N_("Who changed what, and when.")),
    ("/settings/tokens", "tokens.own", N_("API tokens"), N_("Your own tokens for scripts and other tools.")),
    ("/settings/password", "account.own", N_("Change my password"), N_("Your own password.")),
)


@router.get("/settings")
def settings_index(request: Request, principal: Principal = Depends(require("tokens.own"))):
    pages = [(href, _(title), _(what)) for href, permission, title, what in SETTINGS_PAGES
             if allowed(principal.role, permission)]
    return render(request, "settings_index.html", pages=pages)
