"""How buyer data looks on screen: masked the way merchants see it on the platform (138****5678)."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s\-()（）]")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
MASKED_MOBILE = re.compile(r"^1\d{2}\*{4}\d{4}$")


def normalise_phone(text: str) -> str | None:
    """An 11-digit mainland mobile from what people type: +86, 0086, spaces, dashes allowed. None if not one."""
    digits = _NON_DIGITS.sub("", text.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE.match(digits) else None


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    if MASKED_MOBILE.match(phone):
        return phone
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return "*" * len(phone)


def mask_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip()
    if "*" in name:  # masked already (an export's 王**): masked again it would lose what it shows
        return name
    if len(name) <= 1:
        return name + "*"
    return name[0] + "*" * min(len(name) - 1, 3)


def mask_address(address: str | None) -> str | None:
    """Keeps the first few characters (street name) so staff can tell addresses apart; hides the rest."""
    if not address:
        return None
    address = address.strip()
    if "*" in address:  # masked already (an export's 科技路5****): masked again it became 科技**** (QA pass 14, #4)
        return address
    keep = min(4, max(1, len(address) // 3))
    return address[:keep] + "****"
