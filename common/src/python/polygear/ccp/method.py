"""A tool's D4Science CCP Method, derived from its manifest (through `ToolSpec`) and nothing else.

A Method is an OGC API - Processes 1.0 process description plus CCP's lifecycle scripts in
`additionalParameters`. CCP starts the image named by the read-only `ccpimage` input (the tool's own
image, the one every platform runs), runs the deploy script (here: fetch the input files from their
URLs into /ccp_data/input/<name>/), then the execute script (here: lay out a /flywheel/v0-style
folder and run the tool's entry point, `/bin/run --gear-dir`), and uploads /ccp_data/output.
Generating the Method instead of writing it by hand means it cannot disagree with the tool: same
parameters, same defaults and bounds, same image and version (lint rule CCP001 keeps the committed
copies current).

How the scripts stay safe when a value contains a quote. CCP hands every input to the scripts as
template text, `{{ id }}`, substituted before the shell reads the script. Each value is placed in
exactly one spot: a single-quoted shell word that is one argv entry of a `python3 -c` program, e.g.
`... column string '{{ column }}'`. The Python code is fixed text: it never contains a value, a
single quote or a double brace; it reads values only from `sys.argv` and writes config.json with
`json.dumps`, so a value holding `"`, `\\`, `$`, `;`, `{`, or a newline can become neither code nor
broken JSON. Inside a single-quoted shell word every character is literal except `'` itself; our
executor (polygear's CCP runner) writes each `'` there as close-the-word, a quoted quote, reopen
(`'"'"'`), so the value still arrives as the same single argv entry. CCP's own substitution inserts
raw text: there a value containing `'` would end the word early, which is why values are never put
unquoted, in double quotes or into code, where far more characters would do harm.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from polygear.core.errors import UserError
from polygear.core.lint import show
from polygear.core.ogc_process import media_type, parameter_schema, title
from polygear.core.spec import PARAMETER_TYPES, ToolSpec

# Where the Methods are published: the CCP Infrastructure they run on (`links`, rel compatibleWith,
# href infrastructures/<id>) and the D4Science context (VRE) they belong to (metadata role
# "context"). The one place to change when they move; everything else comes from the manifests.
INFRASTRUCTURE = "nubisware-docker-swarm-nfs"
INFRASTRUCTURE_TITLE = "Docker swarm with NFS on Nubis cluster"
CONTEXT = "/gcube/devsec/CCP"
CONTEXT_CLIENTS = "https://accounts.dev.d4science.org/auth/admin/realms/d4science/clients/"

# uuid5(NAMESPACE_URL, "https://github.com/polygear/polygear/ccp_methods"). Never change it: a
# Method's id is uuid5(METHOD_NAMESPACE, tool name), so that every version of a tool updates the same
# Method on CCP instead of registering a new one.
METHOD_NAMESPACE = uuid.UUID("6a72371e-c588-57d6-b452-1d191d7c2bcc")

METHODS_DIR = "ccp_methods"
TOOLS_DIR = "gears"  # every tool is gears/<tool>/, beside ccp_methods/
REGENERATE = "./pants run common/src/python/polygear/ccp:generate -- gears/*/src/docker/manifest.json"

IMAGE_INPUT = "ccpimage"
RESERVED_PREFIX = "ccp"  # CCP's own inputs (ccpimage, ccpnote, ccpmaxtime, ccpreplicas) and future ones
INPUT_ROOT = "/ccp_data/input"
JOB_DIR = "/ccp_data/job"
OUTPUT_DIR = "/ccp_data/output"
IMAGE_MANIFEST = "/flywheel/v0/manifest.json"  # where the tool base image puts the manifest
TOOL_COMMAND = "/bin/run"
FETCH_TIMEOUT_S = 300

# Ids become template variables (`{{ id }}`) and bare shell words; the tool name becomes a file name.
_INPUT_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOOL_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

# Deploy, per file input: fetch argv[1] (an http(s) URL; empty: an optional input not given) into the
# folder argv[2], named as the server names it (Content-Disposition) or as the URL's last path
# segment, so that tools choosing a reader by extension see the real name.
_FETCH_PY = "; ".join(
    (
        "import pathlib, shutil, sys, urllib.parse, urllib.request",
        "url, folder = sys.argv[1].strip(), pathlib.Path(sys.argv[2])",
        "url or sys.exit(0)",
        'urllib.parse.urlsplit(url).scheme in ("http", "https")'
        ' or sys.exit("inputs." + folder.name + ": expected an http(s) URL")',
        f"response = urllib.request.urlopen(url, timeout={FETCH_TIMEOUT_S})",
        "name = response.headers.get_filename() or urllib.parse.unquote(urllib.parse.urlsplit(url).path)",
        "name = pathlib.PurePosixPath(name).name",
        'name = name if name.strip(".") else folder.name',
        'shutil.copyfileobj(response, open(folder / name, "wb"))',
    )
)

# Execute: config.json for `/bin/run --gear-dir` from argv = OUT then NAME KIND TEXT triples. KIND is
# the parameter's type, or `file` with TEXT the folder the deploy step fetched into. An empty TEXT
# means "not given" (the tool applies its default or reports the missing value); text that is not of
# the declared type is passed on as a string, so the tool itself reports it in its usual one line.
_CONFIG_PY = "; ".join(
    (
        "import json, pathlib, re, sys",
        "out, words = pathlib.Path(sys.argv[1]), sys.argv[2:]",
        "given = list(zip(words[0::3], words[1::3], words[2::3]))",
        'number = re.compile("-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?")',
        'typed = lambda kind, text: text if kind == "string"'
        ' else dict(true=True, false=False).get(text.strip().lower(), text) if kind == "boolean"'
        " else json.loads(text) if number.fullmatch(text.strip())"
        ' or (kind == "array" and text.strip().startswith("[")) else text',
        'files = lambda folder: sorted(p for p in pathlib.Path(folder).glob("*") if p.is_file())[:1]',
        'config = dict((name, typed(kind, text)) for name, kind, text in given if kind != "file" and text != "")',
        'inputs = dict((name, dict(base="file", location=dict(path=str(f), name=f.name)))'
        ' for name, kind, folder in given if kind == "file" for f in files(folder))',
        "out.write_text(json.dumps(dict(config=config, inputs=inputs), indent=2))",
    )
)


def method_id(tool_name: str) -> str:
    """The Method's id: the same for every version of a tool, different for every tool."""
    return str(uuid.uuid5(METHOD_NAMESPACE, tool_name))


def name_problems(spec: ToolSpec) -> Iterator[tuple[str, str, str]]:
    """(field, expected, found) for every name or type a Method cannot carry safely.

    Input ids become CCP template variables and bare shell words, types become shell words, and the
    tool name becomes a file name: each is checked here rather than quoted, so the scripts stay plain.
    """
    if not _TOOL_NAME.fullmatch(spec.name):
        yield "name", "a name of a-z, 0-9 and - (it names ccp_methods/<name>.json)", show(spec.name)
    seen: set[str] = set()
    for section, names in (("inputs", list(spec.file_inputs)), ("config", list(spec.parameters))):
        for name in names:
            field = f"{section}.{name}"
            if not _INPUT_ID.fullmatch(name):
                yield field, "a name of letters, digits and _ (a CCP template variable)", show(name)
            elif name.lower().startswith(RESERVED_PREFIX):
                yield field, f"a name not starting with {RESERVED_PREFIX!r} (CCP's own inputs)", show(name)
            elif name in seen:
                yield field, "a name no file input uses (both are CCP inputs)", show(name)
            seen.add(name)
    for name, directive in spec.parameters.items():
        kind = directive.get("type", "string")
        if kind not in PARAMETER_TYPES:
            yield f"config.{name}.type", f"one of {', '.join(PARAMETER_TYPES)}", show(kind)


def _category(spec: ToolSpec) -> str:
    custom = spec.data.get("custom")
    builder = custom.get("gear-builder") if isinstance(custom, dict) else None
    category = builder.get("category") if isinstance(builder, dict) else None
    return category if isinstance(category, str) else ""


def _metadata(spec: ToolSpec) -> list[dict[str, str]]:
    context = quote(CONTEXT, safe="")
    items = [{"title": spec.author, "role": "author"}, {"title": _category(spec), "role": "category"}]
    return [
        *(item for item in items if item["title"]),
        {"title": context, "role": "context", "href": CONTEXT_CLIENTS + context},
    ]


def _inputs(spec: ToolSpec) -> dict[str, dict[str, Any]]:
    image = {
        "id": IMAGE_INPUT,
        "title": "Runtime",
        "description": "The container image this Method was generated for (the tool's own image).",
        "minOccurs": 1,
        "maxOccurs": 1,
        "schema": {"type": "string", "default": spec.image, "readOnly": True},
    }
    inputs = {IMAGE_INPUT: image}
    for name, directive in spec.file_inputs.items():
        description = str(directive.get("description", "")).strip()
        inputs[name] = {
            "id": name,
            "title": title(name),
            "description": f"{description} Given as an http(s) URL, fetched before the run.".strip(),
            "minOccurs": 0 if directive.get("optional") else 1,
            "maxOccurs": 1,
            "schema": {"type": "string", "format": "url"},
        }
    for name, directive in spec.parameters.items():
        inputs[name] = {
            "id": name,
            "title": title(name),
            "description": str(directive.get("description", "")),
            "minOccurs": 0 if directive.get("optional") or "default" in directive else 1,
            "maxOccurs": 1,
            "schema": parameter_schema(directive),
        }
    return inputs


def _outputs(spec: ToolSpec) -> dict[str, dict[str, Any]]:
    return {
        group.name: {
            "id": group.name,
            "title": title(group.name),
            "description": group.description,
            "schema": {"type": "string", "contentMediaType": media_type(group.glob)},
        }
        for group in spec.outputs.values()
    }


def _value(name: str) -> str:
    """The one spot an input's value appears in a script: a single-quoted shell word (see the module doc)."""
    return "'{{ " + name + " }}'"


def deploy_script(spec: ToolSpec) -> list[str]:
    """Create /ccp_data/input/<name>/ for each file input and fetch its URL into it."""
    folders = [f"{INPUT_ROOT}/{name}" for name in spec.file_inputs]
    if not folders:
        return []
    fetch = [f"python3 -c '{_FETCH_PY}' {_value(name)} {INPUT_ROOT}/{name}" for name in spec.file_inputs]
    return ["set -e", "mkdir -p " + " ".join(folders), *fetch]


def execute_script(spec: ToolSpec) -> list[str]:
    """Lay out the job folder, write config.json from the inputs, run the tool, publish its outputs.

    The tool's outputs appear in the job's output folder only when the whole run succeeded, so a
    failed run copies nothing; Flywheel's `.metadata.json` is not an output on CCP.
    """
    words = [f"{name} {directive.get('type', 'string')} {_value(name)}" for name, directive in spec.parameters.items()]
    words += [f"{name} file {INPUT_ROOT}/{name}" for name in spec.file_inputs]
    return [
        "set -e",
        f"rm -rf {JOB_DIR}",
        f"mkdir -p {JOB_DIR}/output {JOB_DIR}/work {OUTPUT_DIR}",
        f"cp {IMAGE_MANIFEST} {JOB_DIR}/manifest.json",
        " ".join([f"python3 -c '{_CONFIG_PY}' {JOB_DIR}/config.json", *words]),
        f"{TOOL_COMMAND} --gear-dir {JOB_DIR}",
        f"cp -R {JOB_DIR}/output/. {OUTPUT_DIR}/",
        f"rm -f {OUTPUT_DIR}/.metadata.json",
    ]


def method_for(spec: ToolSpec, infrastructure: str = INFRASTRUCTURE) -> dict[str, Any]:
    """The CCP Method for one tool, keys in a fixed, readable order."""
    problem = next(name_problems(spec), None)
    if problem is not None:
        field, expected, found = problem
        raise UserError(f"{spec.path}:{field}", f"expected {expected}, found {found}")
    cleanup = [f"rm -rf {JOB_DIR} {INPUT_ROOT}"]
    return {
        "id": method_id(spec.name),
        "title": spec.label or spec.name,
        "description": spec.description,
        "version": spec.version,
        "jobControlOptions": ["async-execute"],
        "keywords": list(dict.fromkeys(k for k in (spec.name, _category(spec), "polygear") if k)),
        "metadata": _metadata(spec),
        "inputs": _inputs(spec),
        "outputs": _outputs(spec),
        "outputTransmission": ["value"],
        "additionalParameters": {
            "parameters": [
                {"name": "deploy-script", "value": deploy_script(spec)},
                {"name": "execute-script", "value": execute_script(spec)},
                {"name": "undeploy-script", "value": cleanup},
                {"name": "cancel-script", "value": cleanup},
            ]
        },
        "links": [
            {
                "href": f"infrastructures/{infrastructure}",
                "rel": "compatibleWith",
                "title": INFRASTRUCTURE_TITLE if infrastructure == INFRASTRUCTURE else infrastructure,
            }
        ],
    }


def render(method: dict[str, Any]) -> str:
    """The committed form of a Method: 2-space indent, keys in generation order, trailing newline."""
    return json.dumps(method, indent=2, ensure_ascii=False) + "\n"
