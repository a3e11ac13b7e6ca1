"""`run_tool(compute)`: the one entry point of every tool's pex; picks the platform adapter from argv.

    /bin/run                              Flywheel: the job in /flywheel/v0 (or $POLYGEAR_GEAR_DIR)
    /bin/run --gear-dir DIR               Flywheel layout in DIR (local runs)
    /bin/run --klms IN.json OUT.json      STELAR KLMS: task JSON in, MinIO staging, output JSON out
    /bin/run --output-dir DIR [-c NAME=VALUE]... [-i NAME=PATH]...
                                          command-line mode (CWL application packages, pipelines)
    /bin/run klms-fetch|klms-post ...     the KLMS task API calls run.sh makes (no curl/jq in images)

Adapters are imported only when chosen, so a Flywheel run never loads the MinIO client and the
platforms stay independent of each other; each of them imports only `polygear.core`.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from polygear.core import redact
from polygear.core.errors import UserError
from polygear.core.run import EXIT_CRASH, EXIT_OK, EXIT_USER_ERROR, Compute
from polygear.core.signals import Cancelled, cancellable
from polygear.core.spec import bundled_file

log = logging.getLogger("polygear.entry")

DEFAULT_GEAR_DIR = "/flywheel/v0"
# OS errors that describe the destination, not a bug: reported in one line, exit 1.
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR})
KLMS_API_COMMANDS = ("klms-fetch", "klms-post")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run",
        description="Run this tool. With no arguments it follows the Flywheel contract in /flywheel/v0.",
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
    mode.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="command-line mode: bind -c/-i against the manifest, write the outputs into DIR (created)",
    )
    parser.add_argument(
        "-c",
        dest="config",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter, typed as the manifest declares it (--output-dir mode; repeat)",
    )
    parser.add_argument(
        "-i",
        dest="input",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="an input file (--output-dir mode; repeat)",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        help="the tool's manifest (default: --output-dir: the one in this pex, else /flywheel/v0/manifest.json; "
        "--klms: /flywheel/v0/manifest.json)",
    )
    return parser


def _manifest(given: Path | None) -> Path:
    found = given or bundled_file("manifest.json") or _gear_dir(None) / "manifest.json"
    if given is None and not found.is_file():
        raise UserError(
            "--manifest",
            f"expected the tool's manifest in this pex (polygear_tool/manifest.json) or at {found}, found "
            "neither; give --manifest PATH",
        )
    return found


def _gear_dir(given: Path | None) -> Path:
    return given if given is not None else Path(os.environ.get("POLYGEAR_GEAR_DIR", DEFAULT_GEAR_DIR))


def run_tool(compute: Compute, argv: Sequence[str] | None = None) -> int:
    """Entry point used by every tool's run.py; returns the process exit code."""
    arglist = list(sys.argv[1:] if argv is None else argv)
    if arglist and arglist[0] in KLMS_API_COMMANDS:
        from polygear.klms.cli import api_command

        return api_command(arglist)
    parser = _parser()
    args = parser.parse_args(arglist)
    if (args.config or args.input) and args.output_dir is None:
        parser.error("-c and -i belong to the command-line mode: add --output-dir DIR")
    if args.klms:
        from polygear.klms.adapter import run_klms

        manifest_path = args.manifest or _gear_dir(None) / "manifest.json"
        return run_klms(compute, manifest_path, Path(args.klms[0]), Path(args.klms[1]))
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(message)s")
    if args.output_dir is not None:
        from polygear.apppkg.adapter import run_command_line

        return _guarded(
            lambda: run_command_line(compute, _manifest(args.manifest), args.output_dir, args.config, args.input)
        )
    from polygear.flywheel.adapter import run_flywheel

    return _guarded(lambda: run_flywheel(compute, _gear_dir(args.gear_dir).resolve()))


def _guarded(run: Callable[[], object]) -> int:
    """Run one adapter; every failure becomes one line on stderr and the exit code platforms expect."""
    try:
        with cancellable():
            run()
    except Cancelled as exc:
        print(f"error: {exc}; no outputs were published", file=sys.stderr, flush=True)
        return exc.exit_code
    except UserError as exc:
        print(f"error: {redact.redact(str(exc))}", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            log.exception("unexpected error (a bug in this tool or in polygear)")
            print("error: unexpected failure; the traceback is in the log above", file=sys.stderr, flush=True)
            return EXIT_CRASH
        # The machine's, not the code's: a full disk, a read-only or forbidden destination.
        print(f"error: {exc.filename or 'output'}: {exc.strerror}; nothing was published", file=sys.stderr, flush=True)
        return EXIT_USER_ERROR
    except Exception:
        log.exception("unexpected error (a bug in this tool or in polygear)")
        print("error: unexpected failure; the traceback is in the log above", file=sys.stderr, flush=True)
        return EXIT_CRASH
    return EXIT_OK
