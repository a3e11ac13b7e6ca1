"""MAAP build requests: check one, print it (dry run) or send it to MAAP's pipeline trigger.

    export MAAP_TOKEN=...        # or --token-file FILE; never on the command line, where `ps` shows it
    python -m polygear.apppkg.maap --repository https://github.com/org/tool.git --checkout v1-2-0 \\
        [--process run.sh] [--env environment.yml] [--url TRIGGER_URL --send]

MAAP's app-pack-generator builds an algorithm package (image, CWL, descriptor) from a public git
repository when a GitLab pipeline trigger receives a form with `variables[repository]`,
`variables[checkout]`, optionally `variables[process]` and `variables[env]`, the trigger `token` and
`ref=main`. A bad field costs a pipeline run that fails minutes later in MAAP's log (or, worse, an
image named after a stray branch), so the form is checked here first, against
`maap_build_request.schema.json` beside this module: MAAP's own schema does not parse and states its
rules only in prose; this one makes each rule a subschema whose `x-rule` text becomes the message.

The token is a credential: it is registered with `polygear.core.redact` before anything is printed,
logged or raised, so it is masked in every message, in the logging filter and in error excerpts of
the server's answer; the dry run prints it as `***`.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jsonschema
import requests
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from polygear.core import redact
from polygear.core.errors import UserError

SCHEMA_FILE = "maap_build_request.schema.json"
TOKEN_ENV = "MAAP_TOKEN"
# Where a UserError from sending points: the remote end, not a field.
WHERE = "maap"

REPOSITORY = "variables[repository]"
CHECKOUT = "variables[checkout]"
PROCESS = "variables[process]"
ENV = "variables[env]"
TOKEN = "token"
REF = "ref"

# What GitLab's pipeline trigger answers (201) and what the user needs from it.
ANSWER_KEYS = ("id", "status", "web_url")
# Long enough to show GitLab's `{"message": ...}`, short enough to stay one readable line.
EXCERPT_CHARS = 200
SHOWN_CHARS = 100
# Plain http would carry the token in clear: only to this machine (a test server, a tunnel).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
EXAMPLE_URL = "https://repo.dit.maap-project.org/api/v4/projects/19/trigger/pipeline"

EXIT_OK, EXIT_PROBLEM = 0, 1

log = logging.getLogger(__name__)

_JSON_TYPES: dict[str, str] = {
    "string": "a string",
    "object": "an object",
    "array": "a list",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "null": "null",
}


def load_schema() -> dict[str, Any]:
    """The build request's JSON Schema, read as a package resource so that it works from a pex as from a checkout."""
    text = resources.files("polygear.apppkg").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> Validator:
    """One validator per process; `check_schema` makes a broken schema file a crash, not a user's problem."""
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def build_request(
    repository: str, checkout: str, process: str | None, env: str | None, token: str, ref: str = "main"
) -> dict[str, str]:
    """The form fields MAAP's trigger takes; `process` and `env` are left out when None (MAAP has defaults)."""
    payload = {REPOSITORY: repository, CHECKOUT: checkout}
    if process is not None:
        payload[PROCESS] = process
    if env is not None:
        payload[ENV] = env
    payload[TOKEN] = token
    payload[REF] = ref
    return payload


def problems(payload: object) -> list[str]:
    """Every violation of the schema, one line each: `<field>: expected <rule>, found <value>`.

    Lines come in the schema's field order (unknown fields last), so the first one is the one a user
    reads first in the form. The token's value is never shown: the schema marks it `writeOnly`, and
    every line passes through `redact()` in case it was pasted into another field too.
    """
    _register_token(payload)
    validator = _validator()
    schema = validator.schema
    assert isinstance(schema, Mapping)
    order = {name: index for index, name in enumerate(schema["properties"])}
    errors = list(validator.iter_errors(cast(Any, payload)))
    # A field of the wrong type gets that one line: its other rules (`not` a pattern...) are about text.
    mistyped = {error.absolute_path[0] for error in errors if error.validator == "type" and error.absolute_path}
    lines: dict[tuple[str, str], None] = {}
    for error in errors:
        if error.validator != "type" and error.absolute_path and error.absolute_path[0] in mistyped:
            continue
        for field, text in _describe(error, payload, schema):
            lines.setdefault((field, text), None)
    ranked = sorted(lines, key=lambda line: order.get(line[0], len(order)))
    return [redact.redact(f"{field}: {text}") for field, text in ranked]


def _describe(error: ValidationError, payload: object, schema: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, message) pairs for one jsonschema error; the rule text comes from the failing subschema's `x-rule`."""
    properties: Mapping[str, Any] = schema["properties"]
    if not error.absolute_path:
        yield from _describe_payload(error, payload, properties)
        return
    field = str(error.absolute_path[0])
    secret = bool(properties.get(field, {}).get("writeOnly"))
    if error.validator == "type":
        rule = f"expected {_JSON_TYPES.get(str(error.validator_value), str(error.validator_value))}"
    else:
        written = error.schema.get("x-rule") if isinstance(error.schema, Mapping) else None
        # Only a subschema without `x-rule` gets here (a bug in the schema file): name the keyword, not the value.
        rule = str(written) if written else f"expected to satisfy {error.validator} {json.dumps(error.validator_value)}"
    yield field, f"{rule}, found {_found(error.instance, secret)}"


def _describe_payload(
    error: ValidationError, payload: object, properties: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    """Errors about the form as a whole, each turned into lines about the fields concerned."""
    if error.validator == "required" and isinstance(payload, Mapping) and isinstance(error.validator_value, list):
        for name in error.validator_value:
            if name not in payload:
                yield name, "expected this required field, found none"
    elif error.validator == "additionalProperties" and isinstance(payload, Mapping):
        known = ", ".join(properties)
        for name in payload:
            if name not in properties:
                # Not its value: an unknown field may well hold a secret.
                yield str(name), f"expected one of the known fields ({known}), found an unknown one"
    elif error.validator == "type":
        yield "payload", f"expected an object of form fields, found {_type_of(payload)}"
    else:
        yield "payload", f"expected to satisfy {error.validator} {json.dumps(error.validator_value)}"


def _type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _found(value: object, secret: bool) -> str:
    """What the user wrote, quoted and shortened; for a secret, only what kind of value it was."""
    if secret:
        if value == "":
            return "an empty one"
        return "a value not shown here (secret)" if isinstance(value, str) else _type_of(value)
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def _register_token(payload: object) -> None:
    if isinstance(payload, Mapping) and isinstance(payload.get(TOKEN), str):
        redact.register([payload[TOKEN]])


def send(url: str, payload: Mapping[str, str], timeout: float = 30.0) -> dict[str, Any]:
    """POST the form to GitLab's pipeline trigger and return its answer (a pipeline: `id`, `status`, `web_url`...).

    Redirects are not followed: requests would turn the POST into a GET (a 301/302) or re-send the
    token to wherever a 307 points; a redirect is reported instead, with its target.
    Raises UserError("maap", ...) for anything but a 2xx JSON pipeline, as one line without the token.
    """
    _register_token(payload)
    _check_url(url)
    log.info("sending the MAAP build request for %s at %s to %s", payload.get(REPOSITORY), payload.get(CHECKOUT), url)
    try:
        response = requests.post(url, data=dict(payload), timeout=timeout, allow_redirects=False)
    except requests.Timeout as exc:
        raise _error(f"no answer from {url} within {timeout:g} s") from exc
    except requests.ConnectionError as exc:
        raise _error(f"cannot connect to {url}: {_reason(exc)}") from exc
    except requests.RequestException as exc:
        raise _error(f"cannot send to {url}: {exc}") from exc
    excerpt = _excerpt(response.text)
    status = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    if not 200 <= response.status_code < 300:
        location = response.headers.get("Location")
        target = f" (redirect to {location})" if location else ""
        raise _error(f"{url} answered {status}{target}: {excerpt}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise _error(f"{url} answered {status} with something other than JSON: {excerpt}") from exc
    if not isinstance(answer, dict):
        raise _error(f"{url} answered {status} with JSON that is not an object: {excerpt}")
    missing = [key for key in ANSWER_KEYS if key not in answer]
    if missing:
        raise _error(f"{url} answered {status} without {', '.join(missing)} (not a GitLab pipeline): {excerpt}")
    return answer


def _check_url(url: str) -> None:
    """The token travels in the body: https only, except to this machine."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise _error(
        f"expected an https:// trigger URL (http:// only to this machine: the token would travel in clear), "
        f"found {url!r}"
    )


def _error(message: str) -> UserError:
    return UserError(WHERE, redact.redact(_one_line(message)))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _excerpt(body: str) -> str:
    """The start of a server's answer, on one line; masked before it is cut, so no token is left half-shown."""
    text = redact.redact(_one_line(body))
    if not text:
        return "(empty body)"
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def _reason(exc: BaseException) -> str:
    """The operating system's word for a failed connection (`Connection refused`), dug out of requests' wrappers."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return str(current.strerror)
        linked = (getattr(current, "reason", None), current.__cause__, current.__context__, *current.args)
        pending.extend(item for item in linked if isinstance(item, BaseException))
    return type(exc).__name__


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m polygear.apppkg.maap",
        description="Check a MAAP build request and print it (dry run), or send it with --send.",
        epilog=f"The token comes from ${TOKEN_ENV} or --token-file, never from the command line (ps shows it).",
        # `--token` must not pass for an abbreviation of `--token-file`.
        allow_abbrev=False,
    )
    p.add_argument("--repository", required=True, metavar="URL", help="the algorithm repository's HTTPS .git URL")
    p.add_argument(
        "--checkout", required=True, metavar="NAME", help="commit, branch or tag: lowercase letters, digits and '-'"
    )
    p.add_argument("--process", metavar="PATH", help="the .sh or .ipynb to run, relative to the repository's top")
    p.add_argument("--env", metavar="PATH_OR_URL", help="repo2docker config: a relative path or an http(s) URL")
    p.add_argument("--ref", default="main", help="the branch of MAAP's build script (default and only value: main)")
    p.add_argument(
        "--url",
        metavar="TRIGGER_URL",
        help=f"GitLab pipeline trigger to POST to; required with --send, NO default (MAAP's query.py: {EXAMPLE_URL})",
    )
    p.add_argument("--token-file", type=Path, metavar="FILE", help=f"read the token from FILE instead of ${TOKEN_ENV}")
    p.add_argument("--send", action="store_true", help="send the request (default: validate and print it)")
    # Caught to refuse it with a reason instead of argparse echoing the token in "unrecognized arguments".
    p.add_argument("--token", help=argparse.SUPPRESS)
    return p


def _token(args: argparse.Namespace) -> str:
    """The token from --token-file (explicit, so it wins) or $MAAP_TOKEN; never from argv."""
    if args.token is not None:
        raise UserError(
            "--token",
            f"expected the token in ${TOKEN_ENV} or --token-file FILE, never on the command "
            "line (ps shows it to every user)",
        )
    if args.token_file is not None:
        try:
            return str(args.token_file.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise UserError("--token-file", f"cannot read {args.token_file}: {exc.strerror or exc}") from exc
    token = os.environ.get(TOKEN_ENV)
    if token is None:
        raise UserError(TOKEN, f"expected the trigger token in ${TOKEN_ENV} or --token-file FILE, found neither")
    return token


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        token = _token(args)
        # Before anything can log: requests/urllib3 records pass the root handlers' filter too.
        redact.install([token])
        if args.send and not args.url:
            raise UserError("--url", "expected the pipeline trigger URL with --send (there is no default), found none")
        payload = build_request(args.repository, args.checkout, args.process, args.env, token, args.ref)
        found = problems(payload)
        if found:
            for line in found:
                print(f"error: {line}", file=sys.stderr)
            return EXIT_PROBLEM
        if not args.send:
            print(redact.redact(json.dumps({**payload, TOKEN: redact.MASK}, indent=2)))
            print("dry run: nothing sent (add --send --url TRIGGER_URL to send it)", file=sys.stderr)
            return EXIT_OK
        answer = send(args.url, payload)
    except UserError as exc:
        print(redact.redact(_one_line(f"error: {exc}")), file=sys.stderr)
        return EXIT_PROBLEM
    print(redact.redact(f"pipeline {answer['id']} {answer['status']}: {answer['web_url']}"))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
