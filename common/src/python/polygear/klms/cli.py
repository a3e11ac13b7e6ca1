"""`/bin/run klms-fetch TOKEN ENDPOINT ID SIGNATURE OUT` and `klms-post ENDPOINT ID SIGNATURE FILE`.

The HTTP half of run.sh lives in the pex so that images need no curl or jq.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from polygear.core import redact
from polygear.klms import api

USAGE = {
    "klms-fetch": (5, "TOKEN ENDPOINT ID SIGNATURE FILE"),
    "klms-post": (4, "ENDPOINT ID SIGNATURE FILE"),
}


def api_command(argv: Sequence[str]) -> int:
    """Exit 0 done, 1 the API call failed (one `error:` line), 2 usage."""
    count, usage = USAGE[argv[0]]
    if len(argv) - 1 != count:
        print(f"usage: run {argv[0]} {usage}", file=sys.stderr)
        return 2
    if argv[0] == "klms-fetch":
        redact.register([argv[1]])  # the token ("Bearer ..."): never in an error line
    try:
        if argv[0] == "klms-fetch":
            api.fetch_input(argv[1], argv[2], argv[3], argv[4], Path(argv[5]))
        else:
            api.post_output(argv[1], argv[2], argv[3], Path(argv[4]))
    except api.ApiError as exc:
        print(f"error: {redact.redact(str(exc))}", file=sys.stderr)
        return 1
    return 0
