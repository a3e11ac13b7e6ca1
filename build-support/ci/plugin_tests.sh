#!/usr/bin/env bash
# Tests of the in-repo Pants plugins (pants-plugins/**/*_test.py) on Pants' own interpreter.
#
# The plugins run inside Pants 2.17 (Python 3.9) and are tested with pantsbuild.pants.testutil; the
# repository's `./pants test` takes pytest from the Python 3.11 resolve, so these run here instead,
# in a venv under .polygear/ made once from the versions pinned in the pants-plugins lockfile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PANTS_BOOTSTRAP_PYTHON:-$(ls "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9 2>/dev/null | head -n1)}"
PY="${PY:-$(command -v python3.9 || true)}"
[ -n "$PY" ] || { echo "plugin tests: need Python 3.9 (Pants 2.17 runs on it)" >&2; exit 1; }
VERSION="$(sed -n 's/^pants_version = "\(.*\)"/\1/p' pants.toml)"
PYTEST="$(python3 -c 'import json,sys; d=json.loads("".join(l for l in open(sys.argv[1]) if not l.startswith("//")));
print(next(r["version"] for r in d["locked_resolves"][0]["locked_requirements"] if r["project_name"]=="pytest"))' \
  3rdparty/python/pants-plugins.lock)"
VENV="${ROOT}/.polygear/plugin-tests-${VERSION}-${PYTEST}"
if [ ! -f "${VENV}/.complete" ]; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  PIP_CONFIG_FILE=/dev/null "${VENV}/bin/pip" -q install "pantsbuild.pants==${VERSION}" \
    "pantsbuild.pants.testutil==${VERSION}" "pytest==${PYTEST}"
  touch "${VENV}/.complete"
fi
PYTHONPATH="${ROOT}/pants-plugins" "${VENV}/bin/pytest" -q -p no:cacheprovider pants-plugins "$@"
