"""The one gear engine: adapts a platform's runtime contract to a gear's pure computation.

A gear's run.py declares `compute(ctx: RunContext)`, mapping config and inputs onto `main.run(...)`,
and calls `run_gear(compute)`. The engine then does, in order, everything Flywheel (or KLMS, through
`polygear.klms`) expects: open fw-gear's GearContext, configure logging with secrets redacted,
validate the config and inputs against the manifest before any work, run the computation into a
staging folder, publish outputs atomically, write a schema-valid `.metadata.json`, and map failures
to exit codes (1: the user's to fix, one clear first line; 2: a bug, with traceback).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polygear import redact
from polygear.config import validate_config
from polygear.errors import UserError
from polygear.jsonfile import read_json_object
from polygear.manifest import Manifest
from polygear.metadata import GearMetadata
from polygear.outputs import StagedOutputs

log = logging.getLogger("polygear.engine")

EXIT_OK, EXIT_USER_ERROR, EXIT_CRASH = 0, 1, 2
DEFAULT_GEAR_DIR = "/flywheel/v0"


@dataclass
class RunContext:
    """What a gear's compute function sees: validated config, input paths and a staging output dir."""

    config: dict[str, Any]
    inputs: dict[str, Path]
    output_dir: Path
    work_dir: Path
    metadata: GearMetadata
    client_factory: Callable[[], Any] | None = None

    def input(self, name: str) -> Path | None:
        return self.inputs.get(name)

    def require_input(self, name: str) -> Path:
        path = self.inputs.get(name)
        if path is None:
            raise UserError(f"inputs.{name}", "this input is required for the chosen configuration")
        return path

    @property
    def client(self) -> Any:
        """A `flywheel.Client` built from the job's api-key input (never logged)."""
        if self.client_factory is None:
            raise UserError("inputs", "this gear needs an api-key input to talk to Flywheel, and none was given")
        return self.client_factory()


Compute = Callable[[RunContext], Mapping[str, Any] | None]


def check_inputs(manifest: Manifest, given: Mapping[str, Any], where: str = "inputs") -> dict[str, Path]:
    """Resolve file inputs to readable paths; refuse unknown, missing or unreadable ones."""
    for name in given:
        if name not in manifest.inputs_spec:
            known = ", ".join(sorted(manifest.inputs_spec)) or "none"
            raise UserError(f"{where}.{name}", f"unknown input (the manifest declares: {known})")
    paths: dict[str, Path] = {}
    for name, spec in manifest.file_inputs().items():
        entry = given.get(name)
        if not entry:
            if spec.get("optional"):
                continue
            raise UserError(f"{where}.{name}", "required input file is missing")
        raw = (entry.get("location") or {}).get("path") if isinstance(entry, Mapping) else entry
        if not raw:
            raise UserError(f"{where}.{name}", "input has no location.path")
        path = Path(raw)
        if not path.is_file():
            raise UserError(f"{where}.{name}", f"input file {path} does not exist or is not a file")
        if not os.access(path, os.R_OK):
            raise UserError(f"{where}.{name}", f"input file {path} is not readable")
        paths[name] = path
    return paths


def _api_keys(inputs: Mapping[str, Any]) -> list[str]:
    return [
        str(v.get("key"))
        for v in inputs.values()
        if isinstance(v, Mapping) and v.get("base") == "api-key" and v.get("key")
    ]


def execute(
    compute: Compute,
    manifest: Manifest,
    config: dict[str, Any],
    inputs: dict[str, Path],
    output_dir: Path,
    work_dir: Path,
    metadata: GearMetadata,
    client_factory: Callable[[], Any] | None = None,
    write_metadata: bool = True,
) -> dict[str, Any]:
    """Run `compute` with staged outputs; publish outputs and metadata only if everything worked.

    Shared by every platform adapter so that all of them get the same atomicity guarantee.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with StagedOutputs(output_dir) as staged:
        ctx = RunContext(config, inputs, staged.staging, work_dir, metadata, client_factory)
        summary = dict(compute(ctx) or {})
        problems = metadata.errors()
        if problems:
            raise ValueError(f"gear produced invalid .metadata.json: {'; '.join(problems)}")
        published = staged.publish()
    if write_metadata:
        metadata.write(output_dir)
    summary.setdefault("outputs", [p.name for p in published])
    summary["wall_seconds"] = round(time.perf_counter() - started, 3)
    log.info("%s %s finished: %d output(s) in %s", manifest.name, manifest.version, len(published), output_dir)
    return summary


def _lazy_client_context(gear_dir: Path, manifest_path: Path, config_path: Path) -> Any:
    """fw-gear's GearContext, except that the Flywheel client is built on first use.

    flywheel.Client contacts the server as soon as it is constructed (and retries for minutes when
    it is unreachable); a gear that never calls the API must not pay for that, or hang on it.
    """
    from fw_gear.context import GearContext  # type: ignore[import-untyped]

    class LazyClientContext(GearContext):  # type: ignore[misc]
        defer_client = True

        def get_client(self) -> Any:
            return None if self.defer_client else super().get_client()

    return LazyClientContext(gear_path=str(gear_dir), manifest_path=str(manifest_path), config_path=str(config_path))


def run_flywheel(compute: Compute, gear_dir: Path) -> dict[str, Any]:
    """The Flywheel contract: /flywheel/v0/{manifest.json,config.json,input/,output/,work/}."""
    from fw_gear.context import GearContextError  # type: ignore[import-untyped]

    manifest_path, config_path = gear_dir / "manifest.json", gear_dir / "config.json"
    manifest = Manifest.load(manifest_path)
    manifest.require_valid()
    raw_config = read_json_object(config_path, "gear config")
    inputs_cfg = raw_config.get("inputs") or {}
    if not isinstance(inputs_cfg, dict):
        raise UserError(f"{config_path}:inputs", "expected an object")
    secrets = _api_keys(inputs_cfg)
    redact.install(secrets)
    context = _lazy_client_context(gear_dir, manifest_path, config_path)
    context.init_logging()
    redact.install(secrets)  # init_logging replaced the handlers
    opts = raw_config.get("config") or {}
    if not isinstance(opts, dict):
        raise UserError(f"{config_path}:config", "expected an object")
    config = validate_config(manifest.config_spec, opts)
    inputs = check_inputs(manifest, inputs_cfg)
    for key, value in config.items():
        log.info('config "%s" = %r', key, value)
    for name, path in inputs.items():
        log.info('input "%s" = %s', name, path)
    destination = raw_config.get("destination") or {}
    metadata = GearMetadata(inputs_cfg, destination.get("type", "analysis"))

    def client() -> Any:
        context.defer_client = False
        try:
            return context.client
        except GearContextError as exc:
            raise UserError("inputs.api-key", f"cannot create the Flywheel client: {exc}") from None

    factory = client if secrets else None
    return execute(compute, manifest, config, inputs, gear_dir / "output", gear_dir / "work", metadata, factory)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run",
        description="Run this gear. With no arguments it follows the Flywheel contract in /flywheel/v0.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--gear-dir",
        type=Path,
        help="a folder laid out like /flywheel/v0 (manifest.json, config.json, input/, output/) for local runs",
    )
    mode.add_argument(
        "--klms",
        nargs=2,
        metavar=("INPUT_JSON", "OUTPUT_JSON"),
        help="STELAR KLMS mode: read the task's input JSON, stage MinIO objects, write the output JSON",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        help="manifest for --klms mode (default: /flywheel/v0/manifest.json)",
    )
    return parser


def _klms_api(argv: list[str]) -> int:
    """`/bin/run klms-fetch TOKEN ENDPOINT ID SIGNATURE OUT` and `klms-post ENDPOINT ID SIGNATURE FILE`:
    the HTTP half of run.sh, here so images need no curl or jq."""
    from polygear.klms import api

    usage = {"klms-fetch": 5, "klms-post": 4}
    if len(argv) - 1 != usage[argv[0]]:
        print(
            f"usage: run {argv[0]} {'TOKEN ' if argv[0] == 'klms-fetch' else ''}ENDPOINT ID SIGNATURE FILE",
            file=sys.stderr,
        )
        return 2
    try:
        if argv[0] == "klms-fetch":
            api.fetch_input(argv[1], argv[2], argv[3], argv[4], Path(argv[5]))
        else:
            api.post_output(argv[1], argv[2], argv[3], Path(argv[4]))
    except api.ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_gear(compute: Compute, argv: Sequence[str] | None = None) -> int:
    """Entry point used by every gear's run.py; returns the process exit code."""
    arglist = list(sys.argv[1:] if argv is None else argv)
    if arglist and arglist[0] in ("klms-fetch", "klms-post"):
        return _klms_api(arglist)
    args = _parser().parse_args(arglist)
    if args.klms:
        from polygear.klms.adapter import run_klms

        manifest_path = args.manifest or Path(os.environ.get("POLYGEAR_GEAR_DIR", DEFAULT_GEAR_DIR)) / "manifest.json"
        return run_klms(compute, manifest_path, Path(args.klms[0]), Path(args.klms[1]))
    gear_dir = args.gear_dir or Path(os.environ.get("POLYGEAR_GEAR_DIR", DEFAULT_GEAR_DIR))
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(message)s")
    try:
        run_flywheel(compute, Path(gear_dir).resolve())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except Exception:
        log.exception("unexpected error (a bug in this gear or the engine)")
        print("error: unexpected failure; the traceback is in the log above", file=sys.stderr, flush=True)
        return EXIT_CRASH
    return EXIT_OK
