"""Keeping secrets (API keys, S3 keys, KLMS secrets) out of every log line.

Secrets reach a gear in config files; libraries we do not control may log request URLs or
exceptions that contain them. A filter on the root handlers replaces any known secret value with
`***` before a record is formatted, whoever logged it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "***"


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Very short values would mask innocent text and protect nothing.
        self.secrets = {s for s in secrets if isinstance(s, str) and len(s) >= 4}

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            cleaned = redact_text(message, self.secrets)
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact_text(record.exc_text, self.secrets)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
        return True


def install(secrets: Iterable[str]) -> RedactingFilter:
    """Attach a redacting filter to every handler of the root logger (and the logger itself)."""
    flt = RedactingFilter(secrets)
    root = logging.getLogger()
    root.addFilter(flt)
    for handler in root.handlers:
        handler.addFilter(flt)
    return flt
