"""Logging for the server and the worker, with secrets kept out of the log files.

The Douyin Open Platform takes its access token in the query string (domain.md §5), and httpx logs every request's
URL at INFO: a token that lasts days and can read and ship every order of the shop ended up in plain text in the
server's and worker's logs, while the desk stores it encrypted. Every record written by the handlers set up here
goes through ``RedactSecrets``, which masks the value of any secret-bearing query or form parameter, whoever logged
it (httpx, a job, a traceback's message)."""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# name=value in a URL query, a form body or a message: the value up to the next separator
_SECRET = re.compile(r"(?i)\b((?:access_token|refresh_token|app_secret|client_secret|password|token)=)[^&\s\"'<>]+")


def redact(text: str) -> str:
    """``text`` with every secret parameter's value replaced by ***."""
    return _SECRET.sub(r"\1***", text)


class RedactSecrets(logging.Filter):
    """Formats the record's message once and masks secret parameters in it (and in an exception's text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """The root logger at ``level`` on stderr, every handler of it redacting secrets."""
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
