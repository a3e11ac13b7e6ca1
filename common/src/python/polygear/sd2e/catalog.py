"""The pipeline catalog's rules: create returns a UUID and a token; updates need the current token;
components never change in place.

SD2E's catalog promises these rules and its 2.x code does not keep them (it computes the token
check and ignores it). Here every rule is enforced, before anything is written:

- create: a new UUID (from the components) and a token; a pipeline with the same components exists
  already -> refused (update it with its token instead);
- update: the document must exist, the token must be its current one (a wrong, stale or missing
  token is refused), and the components must be unchanged (otherwise: create a new pipeline, whose
  UUID is named in the message); the name, description and other fields change, the UUID stays, a
  new token is returned and the old one is stale.

The store is any mapping (a dict here; the job service puts a database behind the same interface).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from polygear.sd2e.identifiers import compact_json, pipeline_uuid
from polygear.sd2e.tokens import TokenError, issue, new_salt, verify

__all__ = ["CatalogError", "Conflict", "Immutable", "NotFound", "PipelineCatalog", "PipelineRecord", "TokenError"]


class CatalogError(Exception):
    """A refused catalog operation; nothing was changed."""


class NotFound(CatalogError):
    pass


class Conflict(CatalogError):
    pass


class Immutable(CatalogError):
    pass


def already_registered(uuid: str) -> Conflict:
    return Conflict(f"pipeline {uuid} exists (same components); update it with its token")


def refuse_identity_change(uuid: str, stored: dict[str, Any], document: dict[str, Any]) -> None:
    """Raise Immutable when an update would change what the UUID is made of (components, id)."""
    if compact_json(document.get("components")) != compact_json(stored.get("components")):
        raise Immutable(
            f"pipeline {uuid}: components cannot change; create a new pipeline instead "
            f"(its UUID would be {pipeline_uuid(document)})"
        )
    if document.get("id") != stored.get("id"):
        raise Immutable(f"pipeline {uuid}: its id is part of its UUID and cannot change; create a new pipeline")


@dataclass
class PipelineRecord:
    uuid: str
    document: dict[str, Any]
    salt: str = field(repr=False)


class PipelineCatalog:
    def __init__(self, secret: bytes, store: MutableMapping[str, PipelineRecord] | None = None) -> None:
        if not secret:
            raise ValueError("the catalog needs a non-empty token secret")
        self._secret = secret
        self._store: MutableMapping[str, PipelineRecord] = {} if store is None else store

    def get(self, uuid: str) -> PipelineRecord:
        record = self._store.get(uuid)
        if record is None:
            raise NotFound(f"pipeline {uuid}: no such pipeline")
        return record

    def create(self, document: dict[str, Any]) -> tuple[str, str]:
        """Register a pipeline: (uuid, token)."""
        uuid = pipeline_uuid(document)
        if uuid in self._store:
            raise already_registered(uuid)
        salt = new_salt()
        self._store[uuid] = PipelineRecord(uuid, dict(document), salt)
        return uuid, issue(self._secret, uuid, salt)

    def update(self, uuid: str, document: dict[str, Any], token: object) -> str:
        """Change a pipeline's other fields with its current token; returns the next token."""
        record = self.get(uuid)
        verify(self._secret, uuid, record.salt, token)
        refuse_identity_change(uuid, record.document, document)
        salt = new_salt()
        self._store[uuid] = PipelineRecord(uuid, dict(document), salt)
        return issue(self._secret, uuid, salt)
