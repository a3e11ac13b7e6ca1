"""Print one closing line for CI from the JUnit XML reports Pants wrote: `tests: N passed, N failed`.

Pants prints one line per test target; CI and people want the total. Exits 1 when no test ran at
all (a silently empty suite must not look green) or when any failed.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(report_dir: str) -> int:
    passed = failed = skipped = 0
    files = sorted(Path(report_dir).rglob("*.xml"))
    for path in files:
        root = ET.parse(path).getroot()
        for case in root.iter("testcase"):
            tags = {child.tag for child in case}
            if tags & {"failure", "error"}:
                failed += 1
            elif "skipped" in tags:
                skipped += 1
                reason = next(c for c in case if c.tag == "skipped").get("message", "")
                print(f"skipped: {case.get('classname')}.{case.get('name')}: {reason}")
            else:
                passed += 1
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    if not files or passed + failed == 0:
        print(f"error: {report_dir}: no test results found (no tests ran)", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "dist/test/reports"))
