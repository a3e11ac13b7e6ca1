"""Update tokens: what authorises a change to one catalog document, and only the latest one does.

SD2E hands out a 16-character token with every create and update; its 2.x code computes the check
and then ignores the result. Here a token is HMAC-SHA256(server secret, document UUID + ":" + salt),
first 16 hex characters; the salt is stored with the document and replaced on every update, so each
update returns a new token and every earlier token becomes stale. Tokens are compared in constant
time; a missing, malformed, wrong or stale token is refused, and nothing changes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_LENGTH = 16
_TOKEN = re.compile(r"[0-9a-f]{16}")


class TokenError(Exception):
    """The token does not authorise this change (the message never contains a token)."""


def new_salt() -> str:
    return secrets.token_hex(16)


def issue(secret: bytes, document_uuid: str, salt: str) -> str:
    if not secret:
        raise ValueError("the token secret must not be empty")
    mac = hmac.new(secret, f"{document_uuid}:{salt}".encode(), hashlib.sha256)
    return mac.hexdigest()[:TOKEN_LENGTH]


def verify(secret: bytes, document_uuid: str, salt: str, token: object) -> None:
    """Raise TokenError unless `token` is the current token of the document."""
    if token is None or token == "":
        raise TokenError("an update token is required (the one the last create or update returned)")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise TokenError("expected a token of 16 lowercase hex characters")
    if not hmac.compare_digest(issue(secret, document_uuid, salt), token):
        raise TokenError("the token is not the current token of this document (wrong, or stale after an update)")
