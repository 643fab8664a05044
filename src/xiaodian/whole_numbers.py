"""Whole numbers that arrive as text (export and import files, form fields, platform codes).

``str.isdigit()`` is true for ² and for digits of other scripts that ``int()`` refuses, and for a 5,000-digit string
Python will not convert: a check on ``isdigit()`` alone let such cells through to a traceback that stopped a whole
import. Here only ASCII digits count, and no more of them than the value can have.
"""

from __future__ import annotations


def whole_number(text: str | None, max_digits: int = 18) -> int | None:
    """The number ``text`` spells in ASCII digits (at most ``max_digits`` of them), else None."""
    if not text or len(text) > max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)


_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def half_width(text: str) -> str:
    """Full-width ASCII (１２, ＳＦ, typed by a Chinese IME in 全角 mode) and the ideographic space as plain ASCII. Only
    these: NFKC would also make ² a 2, which no merchant typed as one (a cell or field holding it is refused)."""
    return text.translate(_HALF_WIDTH)
