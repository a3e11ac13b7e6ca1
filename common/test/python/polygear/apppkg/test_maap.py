"""MAAP build requests: the schema's rules as one-line messages, the dry run, and sending to a local GitLab stand-in.

The stand-in is a real HTTP server on 127.0.0.1 (port 0) in a thread, answering like GitLab's
pipeline trigger; it records what it received, so the form on the wire is checked, not a mock's
arguments. `requests.post` returns only after the server has answered, and the server records
before answering: no waiting is needed to read what it received.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import pytest

from polygear.apppkg import maap
from polygear.core.errors import UserError

# Shaped like a GitLab pipeline trigger token; registered with polygear.core.redact by the code under test.
TOKEN = "glptt-0123456789abcdef0123456789abcdef01234567"
REPO = "https://github.com/org/tool.git"
TRIGGER_PATH = "/api/v4/projects/19/trigger/pipeline"
WEB_URL = "https://repo.dit.maap-project.org/max.zhan/app-pack-generator/-/pipelines/522"
# What GitLab answers (MAAP's README), shortened.
GITLAB_ANSWER = {
    "id": 522,
    "iid": 62,
    "project_id": 19,
    "sha": "e64715eeb0c12f5456c016593329d3a9e6b09c0e",
    "ref": "main",
    "status": "created",
    "source": "trigger",
    "created_at": "2022-05-31T23:20:55.828Z",
    "web_url": WEB_URL,
    "user": {"id": 40, "username": "max.zhan"},
}
HTTPS_RULE = "expected an https:// URL (MAAP clones anonymously: not the SSH link, not http://)"
CHECKOUT_RULE = "expected lowercase letters, digits and '-' only (it names the image)"
RELATIVE_RULE = "expected a path relative to the top of the repository (no leading '/')"
INSIDE_RULE = "expected a path inside the repository (no '..' segment)"
SPACE_RULE = "expected no whitespace (spaces, tabs or line breaks)"
KNOWN = "variables[repository], variables[checkout], variables[process], variables[env], token, ref"


def valid_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = maap.build_request(REPO, "v1-2-0", "dps/run.sh", "environment.yml", TOKEN)
    payload.update(changes)
    return payload


# --- the schema ------------------------------------------------------------------------------------------------


def test_the_schema_file_is_a_valid_json_schema() -> None:
    schema = maap.load_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["additionalProperties"] is False
    # MAAP's required fields; process and env are optional there too.
    assert sorted(schema["required"]) == sorted(["variables[repository]", "variables[checkout]", "token", "ref"])
    assert list(schema["properties"]) == KNOWN.split(", ")
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert schema["properties"]["token"]["writeOnly"] is True


def test_every_rule_of_the_schema_has_its_message() -> None:
    """A rule without `x-rule` would fall back to a keyword dump: each constraining subschema names its rule."""
    constraining = {"pattern", "not", "maxLength", "minLength", "const"}

    def walk(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, dict):
            if constraining & node.keys() and "x-rule" not in node:
                yield where
            for key, value in node.items():
                if key not in ("not", "if"):  # their content is the rule's condition, not a rule
                    yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                yield from walk(item, f"{where}/{index}")

    assert list(walk(maap.load_schema()["properties"], "")) == []


def test_build_request_leaves_out_what_is_not_given() -> None:
    assert maap.build_request(REPO, "main", None, None, TOKEN) == {
        "variables[repository]": REPO,
        "variables[checkout]": "main",
        "token": TOKEN,
        "ref": "main",
    }


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"variables[process]": "process.ipynb", "variables[env]": "https://example.org/base/-/raw/main/Dockerfile"},
        {"variables[checkout]": "e64715eeb0c12f5456c016593329d3a9e6b09c0e"},
        {"variables[process]": "./run.sh", "variables[env]": "docker/Dockerfile"},
    ],
)
def test_valid_payloads_have_no_problems(changes: dict[str, str]) -> None:
    assert maap.problems(valid_payload(**changes)) == []


def test_the_minimal_payload_is_valid() -> None:
    assert maap.problems(maap.build_request(REPO, "main", None, None, TOKEN)) == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("variables[repository]", "git@github.com:org/tool.git", f"{HTTPS_RULE}, found 'git@github.com:org/tool.git'"),
        (
            "variables[repository]",
            "http://github.com/org/tool.git",
            f"{HTTPS_RULE}, found 'http://github.com/org/tool.git'",
        ),
        (
            "variables[repository]",
            "https://github.com/org/tool",
            "expected the clone URL, ending in '.git', found 'https://github.com/org/tool'",
        ),
        ("variables[checkout]", "Main", f"{CHECKOUT_RULE}, found 'Main'"),
        ("variables[checkout]", "my_branch", f"{CHECKOUT_RULE}, found 'my_branch'"),
        ("variables[checkout]", "feature/x", f"{CHECKOUT_RULE}, found 'feature/x'"),
        ("variables[checkout]", "", f"{CHECKOUT_RULE}, found ''"),
        (
            "variables[checkout]",
            "-rc1",
            "expected a letter or digit first (a Docker tag cannot start with '-', and git would read an option), "
            "found '-rc1'",
        ),
        (
            "variables[checkout]",
            "a" * 129,
            f"expected at most 128 characters (a Docker tag's limit), found '{'a' * 99}...",
        ),
        # Python's `$` matches before a final newline: the whitespace rule is what rejects it.
        ("variables[checkout]", "main\n", f"{SPACE_RULE}, found 'main\\n'"),
        ("variables[checkout]", 12, "expected a string, found 12"),
        ("variables[process]", "/dps/run.sh", f"{RELATIVE_RULE}, found '/dps/run.sh'"),
        ("variables[process]", "../run.sh", f"{INSIDE_RULE}, found '../run.sh'"),
        ("variables[process]", "dps/../../run.sh", f"{INSIDE_RULE}, found 'dps/../../run.sh'"),
        (
            "variables[process]",
            "run.py",
            "expected a shell script (.sh) or a Jupyter notebook (.ipynb), found 'run.py'",
        ),
        ("variables[env]", "/etc/Dockerfile", f"{RELATIVE_RULE} or an http(s) URL, found '/etc/Dockerfile'"),
        ("variables[env]", "../Dockerfile", f"{INSIDE_RULE} or an http(s) URL, found '../Dockerfile'"),
        (
            "variables[env]",
            "s3://bucket/Dockerfile",
            "expected an http(s) URL of a downloadable file (or a relative path), found 's3://bucket/Dockerfile'",
        ),
        ("ref", "master", "expected 'main' (the branch of MAAP's build script), found 'master'"),
        ("token", "", "expected a non-empty string, found an empty one"),
        ("token", TOKEN + "\n", f"{SPACE_RULE}, found a value not shown here (secret)"),
        ("token", 1234567, "expected a string, found a number"),
    ],
)
def test_each_rule_rejects_with_its_one_line_message(field: str, value: Any, expected: str) -> None:
    assert maap.problems(valid_payload(**{field: value})) == [f"{field}: {expected}"]


def test_missing_required_fields_are_named_in_the_forms_order() -> None:
    payload = valid_payload()
    del payload["token"], payload["variables[checkout]"]
    assert maap.problems(payload) == [
        "variables[checkout]: expected this required field, found none",
        "token: expected this required field, found none",
    ]


def test_unknown_fields_are_named_without_their_value() -> None:
    lines = maap.problems(valid_payload(**{"variables[branch]": "secret-value"}))
    assert lines == [f"variables[branch]: expected one of the known fields ({KNOWN}), found an unknown one"]


def test_all_problems_are_reported_in_the_forms_order() -> None:
    lines = maap.problems(
        valid_payload(ref="dev", **{"variables[checkout]": "Main", "variables[repository]": "http://h/t.git"})
    )
    assert [line.split(":")[0] for line in lines] == ["variables[repository]", "variables[checkout]", "ref"]


def test_a_payload_that_is_not_an_object() -> None:
    assert maap.problems(["token", TOKEN]) == ["payload: expected an object of form fields, found a list"]


def test_a_token_pasted_into_another_field_is_masked() -> None:
    url = f"https://someone:{TOKEN}@github.com/org/tool.git"
    lines = maap.problems(valid_payload(**{"variables[repository]": url}))
    assert lines == [
        "variables[repository]: expected no user name or password in the URL (it would show in MAAP's build log), "
        "found 'https://someone:***@github.com/org/tool.git'"
    ]


# --- the command: dry run --------------------------------------------------------------------------------------


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = maap.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_prints_the_payload_with_the_token_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAP_TOKEN", TOKEN)
    code, out, err = run(["--repository", REPO, "--checkout", "v1-2-0", "--process", "run.sh"], capsys)
    assert code == 0
    assert json.loads(out) == {
        "variables[repository]": REPO,
        "variables[checkout]": "v1-2-0",
        "variables[process]": "run.sh",
        "token": "***",
        "ref": "main",
    }
    assert TOKEN not in out + err


def test_dry_run_masks_even_a_token_too_short_to_register(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """polygear.core.redact ignores secrets under 4 characters: the printed payload must not rely on it."""
    monkeypatch.setenv("MAAP_TOKEN", "xyz")
    code, out, _ = run(["--repository", REPO, "--checkout", "main"], capsys)
    assert code == 0
    assert json.loads(out)["token"] == "***"


def test_dry_run_reports_every_problem_first_one_first(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAP_TOKEN", TOKEN)
    code, out, err = run(["--repository", "git@github.com:org/tool.git", "--checkout", "Main"], capsys)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"error: variables[repository]: {HTTPS_RULE}, found 'git@github.com:org/tool.git'",
        f"error: variables[checkout]: {CHECKOUT_RULE}, found 'Main'",
    ]


def test_an_empty_token_is_a_problem_without_echo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAP_TOKEN", "")
    code, _, err = run(["--repository", REPO, "--checkout", "main"], capsys)
    assert (code, err) == (1, "error: token: expected a non-empty string, found an empty one\n")


def test_no_token_at_all_says_where_to_put_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAAP_TOKEN", raising=False)
    code, _, err = run(["--repository", REPO, "--checkout", "main"], capsys)
    assert code == 1
    assert err == "error: token: expected the trigger token in $MAAP_TOKEN or --token-file FILE, found neither\n"


def test_the_token_file_wins_and_loses_its_newline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAP_TOKEN", "")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    code, out, err = run(["--repository", REPO, "--checkout", "main", "--token-file", str(token_file)], capsys)
    assert code == 0, err
    assert json.loads(out)["token"] == "***"


def test_a_token_on_the_command_line_is_refused_without_echo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAAP_TOKEN", raising=False)
    code, out, err = run(["--repository", REPO, "--checkout", "main", "--token", TOKEN], capsys)
    assert code == 1
    assert err.startswith("error: --token: expected the token in $MAAP_TOKEN") and len(err.splitlines()) == 1
    assert TOKEN not in out + err


# --- the command: sending to a local GitLab stand-in -----------------------------------------------------------


@dataclass
class Received:
    path: str
    content_type: str
    form: list[tuple[str, str]]


@dataclass
class Trigger:
    """The stand-in's answer (status, content type, body; status None: never answer) and what it received."""

    base: str
    answer: tuple[int | None, str, bytes] = (201, "application/json", json.dumps(GITLAB_ANSWER).encode())
    headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return self.base + TRIGGER_PATH

    def answers(self, status: int | None, body: bytes | dict[str, Any], content_type: str = "application/json") -> None:
        self.answer = (status, content_type, json.dumps(body).encode() if isinstance(body, dict) else body)


@pytest.fixture
def trigger() -> Iterator[Trigger]:
    state = Trigger(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
            state.received.append(Received(self.path, self.headers.get("Content-Type", ""), form))
            status, content_type, payload = state.answer
            if status is None:  # a server that never answers (until the test ends)
                state.release.wait(10)
                return
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def send_argv(url: str, *extra: str) -> list[str]:
    return ["--repository", REPO, "--checkout", "v1-2-0", "--process", "dps/run.sh", "--url", url, "--send", *extra]


def assert_no_token(out: str, err: str, caplog: pytest.LogCaptureFixture) -> None:
    assert TOKEN not in out
    assert TOKEN not in err
    assert TOKEN not in caplog.text
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("MAAP_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)  # urllib3's connection records too


@pytest.mark.usefixtures("token_env")
def test_send_posts_the_form_and_prints_the_pipeline(
    trigger: Trigger, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    code, out, err = run(send_argv(trigger.url), capsys)
    assert code == 0, err
    assert out == f"pipeline 522 created: {WEB_URL}\n"
    [received] = trigger.received
    assert received.path == TRIGGER_PATH
    assert received.content_type == "application/x-www-form-urlencoded"
    # Exactly these fields, once each, token included: the server is the trigger that needs it.
    assert received.form == [
        ("variables[repository]", REPO),
        ("variables[checkout]", "v1-2-0"),
        ("variables[process]", "dps/run.sh"),
        ("token", TOKEN),
        ("ref", "main"),
    ]
    assert any("sending the MAAP build request" in record.getMessage() for record in caplog.records)
    assert_no_token(out, err, caplog)


@pytest.mark.usefixtures("token_env")
def test_send_validates_before_posting(trigger: Trigger, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([*send_argv(trigger.url), "--checkout", "Main"], capsys)
    assert code == 1
    assert err == f"error: variables[checkout]: {CHECKOUT_RULE}, found 'Main'\n"
    assert trigger.received == []


@pytest.mark.usefixtures("token_env")
def test_send_without_url_says_there_is_no_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["--repository", REPO, "--checkout", "main", "--send"], capsys)
    assert (code, err) == (
        1,
        "error: --url: expected the pipeline trigger URL with --send (there is no default), found none\n",
    )


@pytest.mark.usefixtures("token_env")
def test_unauthorized_is_one_line_with_the_status(
    trigger: Trigger, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    trigger.answers(401, {"message": "401 Unauthorized"})
    code, out, err = run(send_argv(trigger.url), capsys)
    assert code == 1
    assert out == ""
    assert err == f'error: maap: {trigger.url} answered HTTP 401 Unauthorized: {{"message": "401 Unauthorized"}}\n'
    assert_no_token(out, err, caplog)


@pytest.mark.usefixtures("token_env")
def test_a_server_echoing_the_token_gets_it_masked(
    trigger: Trigger, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    trigger.answers(400, {"message": f"bad token {TOKEN}"})
    code, out, err = run(send_argv(trigger.url), capsys)
    assert code == 1
    assert err == f'error: maap: {trigger.url} answered HTTP 400 Bad Request: {{"message": "bad token ***"}}\n'
    assert_no_token(out, err, caplog)


@pytest.mark.usefixtures("token_env")
def test_a_token_at_the_excerpts_cut_is_masked_whole(
    trigger: Trigger, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Masked before the body is cut: cut first, the token's first half would no longer match and would show."""
    trigger.answers(500, ("x" * 190 + TOKEN).encode(), content_type="text/plain")
    code, out, err = run(send_argv(trigger.url), capsys)
    assert code == 1
    assert err == f"error: maap: {trigger.url} answered HTTP 500 Internal Server Error: {'x' * 190}***\n"
    assert TOKEN[:8] not in err
    assert_no_token(out, err, caplog)


@pytest.mark.usefixtures("token_env")
def test_a_non_json_answer(trigger: Trigger, capsys: pytest.CaptureFixture[str]) -> None:
    trigger.answers(200, b"<html>\n<body>Sign in</body>\n</html>", content_type="text/html")
    code, _, err = run(send_argv(trigger.url), capsys)
    assert code == 1
    assert err == (
        f"error: maap: {trigger.url} answered HTTP 200 OK with something other than JSON: "
        "<html> <body>Sign in</body> </html>\n"
    )


@pytest.mark.usefixtures("token_env")
def test_an_answer_without_web_url(trigger: Trigger, capsys: pytest.CaptureFixture[str]) -> None:
    trigger.answers(201, {key: value for key, value in GITLAB_ANSWER.items() if key != "web_url"})
    code, _, err = run(send_argv(trigger.url), capsys)
    assert code == 1
    assert err.startswith(
        f"error: maap: {trigger.url} answered HTTP 201 Created without web_url (not a GitLab pipeline): "
    )
    assert len(err.splitlines()) == 1


@pytest.mark.usefixtures("token_env")
def test_a_redirect_is_reported_not_followed(trigger: Trigger, capsys: pytest.CaptureFixture[str]) -> None:
    """requests would re-send the POST as a GET (302), or the token elsewhere (307)."""
    trigger.answers(302, b"")
    trigger.headers["Location"] = "https://elsewhere.example/trigger"
    code, _, err = run(send_argv(trigger.url), capsys)
    assert code == 1
    assert err == (
        f"error: maap: {trigger.url} answered HTTP 302 Found (redirect to https://elsewhere.example/trigger): "
        "(empty body)\n"
    )
    assert len(trigger.received) == 1


@pytest.mark.usefixtures("token_env")
def test_a_closed_port_is_one_line_naming_the_url(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}{TRIGGER_PATH}"
    code, out, err = run(send_argv(url), capsys)
    assert code == 1
    assert err.startswith(f"error: maap: cannot connect to {url}: ")
    assert len(err.splitlines()) == 1
    assert_no_token(out, err, caplog)


def test_a_silent_server_times_out_naming_the_url(trigger: Trigger) -> None:
    trigger.answers(None, b"")
    with pytest.raises(UserError) as caught:
        maap.send(trigger.url, valid_payload(), timeout=0.2)
    assert str(caught.value) == f"maap: no answer from {trigger.url} within 0.2 s"


def test_the_token_never_crosses_the_network_in_clear() -> None:
    """Refused before connecting: the host does not exist, and no DNS lookup is needed to say so."""
    with pytest.raises(UserError) as caught:
        maap.send("http://maap.example/api/v4/projects/19/trigger/pipeline", valid_payload())
    assert str(caught.value).startswith("maap: expected an https:// trigger URL")


def test_send_returns_gitlabs_answer(trigger: Trigger) -> None:
    assert maap.send(trigger.url, valid_payload()) == GITLAB_ANSWER
