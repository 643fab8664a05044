"""The desk's own English sentences that the 抖店连接 page shows, in the reader's language.

The connection stores what went wrong as text where it happened (the client's "network error: …", the inbox's
"error: …" / "problem: …", the outbox's notes, an unreadable push's "not JSON: …"), and rows written months ago keep
that text; so the page translates those forms when it shows them rather than each writer storing a language. The
platform's own words (sub_msg such as "sign 校验失败", exception texts of a library) are kept as Douyin or the library
wrote them; only the desk's framing around them is translated. A text no form below matches is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...web.i18n import N_, gettext

# Whole sentences the desk writes (outbox.py, service.py, push.py, client.py), found anywhere in a text.
SENTENCES = {
    "the platform's order does not hold this waybill: not uploaded":
        N_("the platform's order does not hold this waybill: not uploaded"),
    "answer is not a JSON object": N_("answer is not a JSON object"),
    "not a JSON array of messages": N_("not a JSON array of messages"),
    "no message in it": N_("no message in it"),
}
# Forms with a variable part: (pattern, msgid). Named groups in TRANSLATED are translated in turn.
TRANSLATED = ("detail", "reason")
FORMS: list[tuple[re.Pattern, str]] = [(re.compile(pattern, re.S), msgid) for pattern, msgid in (
    (r"^queued for the previous Douyin shop (?P<shop>\d+); not sent to the newly connected shop \(retry only if it is "
     r"the same shop\)", N_("queued for the previous Douyin shop %(shop)s; not sent to the newly connected shop (retry "
                            "only if it is the same shop)")),
    (r"^another shop: for Douyin shop (?P<other>.+?), not the connected Douyin shop (?P<own>\S+)$",
     N_("for Douyin shop %(other)s, not the connected Douyin shop %(own)s")),
    (r"^error: (?P<detail>.*)$", N_("error: %(detail)s")),
    (r"^problem: the platform's data cannot be read: (?P<field>[\w.]+): (?P<detail>.*)$",
     N_("problem: the platform's data cannot be read: %(field)s: %(detail)s")),
    (r"^kept desk state: (?P<detail>.*)$", N_("kept desk state: %(detail)s")),
    (r"^(?P<method>[a-zA-Z]+\.[a-zA-Z.]+): code (?P<code>\S+) (?P<detail>.*)$",
     N_("%(method)s: code %(code)s %(detail)s")),
    (r"^timeout: (?P<reason>.*)$", N_("timeout: %(reason)s")),
    (r"^network error: (?P<reason>.*)$", N_("network error: %(reason)s")),
    (r"^HTTP (?P<status>\d+): answer is not JSON$", N_("HTTP %(status)s: answer is not JSON")),
    (r"^HTTP (?P<status>\d+)$", N_("HTTP %(status)s (the platform's server is busy or failing)")),
    (r"^envelope without a numeric code: (?P<reason>.*)$", N_("envelope without a numeric code: %(reason)s")),
    (r"^token answer lacks access_token/expires_in: (?P<reason>.*)$",
     N_("token answer lacks access_token/expires_in: %(reason)s")),
    (r"^not JSON: (?P<reason>.*)$", N_("not JSON: %(reason)s")),
    (r"^the sync stopped: (?P<reason>.*)$", N_("the sync stopped: %(reason)s")),
    (r"^(?P<kind>[A-Z]\w*(?:Error|Exception|Failed|Timeout)): (?P<reason>.*)$",
     N_("unexpected error %(kind)s: %(reason)s")),
)]
# The inbox's states as the page names them (push.py, models.DouyinInbox).
STATES = {"pending": N_("waiting"), "failed": N_("failed"), "done": N_("done"), "deferred": N_("kept for later"),
          "ignored": N_("ignored")}


def desk_text(text: str | None, translate: Callable[[str], str] = gettext) -> str:
    """``text`` with the desk's own forms in the current language (see the module docstring)."""
    if not text:
        return ""
    text = str(text)
    for form, msgid in FORMS:
        found = form.match(text)
        if found:
            values = {key: desk_text(value, translate) if key in TRANSLATED else value
                      for key, value in found.groupdict().items()}
            return translate(msgid) % values
    for sentence, msgid in SENTENCES.items():
        if sentence in text:
            text = text.replace(sentence, translate(msgid))
    return text


def state_text(state: str | None, translate: Callable[[str], str] = gettext) -> str:
    return translate(STATES[state]) if state in STATES else (state or "")
