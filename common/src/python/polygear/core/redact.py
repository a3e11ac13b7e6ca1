"""Keeping secrets (API keys, S3 keys, KLMS secrets) out of every log line, message and output.

Secrets reach a tool in config files; libraries we do not control may log request URLs or
exceptions that contain them, and they do so in several renderings: as written, escaped by
`repr()` (a key with a newline shows as `\\n`), escaped inside JSON, or percent-encoded in a URL.
Every known secret is registered here once, in all those renderings; a filter on the root handlers
masks them in every record before it is formatted, whoever logged it, and adapters pass every
message they print or post through `redact()`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values would mask innocent text and protect nothing.
MIN_SECRET_LENGTH = 4

_KNOWN: set[str] = set()


def renderings(secret: str) -> set[str]:
    """The forms a secret takes in logs and documents: raw, repr-escaped, JSON-escaped, URL-encoded."""
    escaped = repr(secret)[1:-1]
    forms = {secret, escaped, json.dumps(secret)[1:-1], json.dumps(escaped)[1:-1], quote(secret, safe="")}
    forms.add(quote_plus(secret))
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def secret_leaves(value: Any) -> list[str]:
    """Every string (or number) leaf of a nested secrets object: all of it is secret."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in secret_leaves(v)]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in secret_leaves(v)]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return [str(value)]
    return []


def register(secrets: Iterable[str]) -> None:
    """Remember secrets (in every rendering) for `redact()` and the logging filter."""
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= MIN_SECRET_LENGTH:
            _KNOWN.update(renderings(secret))


def redact(text: str) -> str:
    """`text` with every registered secret masked."""
    return _mask(text, _KNOWN)


def redact_tree(value: Any) -> Any:
    """A JSON-like document with every string (keys included) passed through `redact()`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_tree(k): redact_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v) for v in value]
    return value


def _mask(text: str, forms: Iterable[str]) -> str:
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks registered secrets in a record's message, arguments and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _KNOWN:
            message = record.getMessage()
            cleaned = redact(message)
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install(secrets: Iterable[str]) -> RedactingFilter:
    """Register secrets and attach the filter to the root logger and each of its handlers.

    Call it again after something replaces the root handlers (fw-gear's logging setup does).
    """
    register(secrets)
    root = logging.getLogger()
    if _FILTER not in root.filters:
        root.addFilter(_FILTER)
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    return _FILTER
