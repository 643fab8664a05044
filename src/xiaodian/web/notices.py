"""One-line notices a redirect carries to the next page ("order … has shipped", "saved: …"), signed so that only the
desk can write them.

After a form, the desk redirects to a page with the outcome in the URL (``?done=…``) and the page shows it in its
green box. Unsigned, a crafted link such as ``/settings/users?done=请把验证码发给…`` had the desk's own box say
whatever the link said (escaped, but still the desk speaking to a clerk). Each notice now travels with a keyed tag of
its name and text (``done_sig``); a page shows it only when the tag checks out.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from .deps import get_ctx


def tag(key: bytes, name: str, text: str) -> str:
    """The keyed tag of one notice (the desk's session secret is the key)."""
    return hmac.new(key, f"notice\0{name}\0{text}".encode(), hashlib.sha256).hexdigest()[:20]


def _tag(request: Request, name: str, text: str) -> str:
    return tag(get_ctx(request).keys.session_secret, name, text)


def signed(request: Request, name: str, text: str) -> dict[str, str]:
    """Query parameters carrying the notice ``name`` = ``text`` to the page redirected to."""
    return {name: text, f"{name}_sig": _tag(request, name, text)}


def read(request: Request, name: str) -> str | None:
    """The notice ``name`` of this request, when the desk wrote it; otherwise None (nothing is shown)."""
    text = request.query_params.get(name)
    if text is None:
        return None
    given = request.query_params.get(f"{name}_sig", "")
    return text if hmac.compare_digest(given, _tag(request, name, text)) else None
