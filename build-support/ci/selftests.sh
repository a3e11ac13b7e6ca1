#!/usr/bin/env bash
# End-to-end self-tests through `./pants`, on a scratch worktree of HEAD (the real tree is untouched):
#   1. a tool created from tool_template passes tailor, lint, check, test and package unchanged;
#   2. `./pants lint` fails, with the right one-line messages, when a gear's manifest and its
#      docker_image target disagree (name, version, image, tags);
#   3. Pants refuses a forbidden import (the core importing a platform package, a tool's main.py
#      importing test helpers) with a message naming the rule that denies it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/polygear-selftest.XXXXXX")"
git -C "$ROOT" worktree add -q --detach "$SCRATCH/repo" HEAD
cleanup() { git -C "$ROOT" worktree remove --force "$SCRATCH/repo" >/dev/null 2>&1 || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT
cd "$SCRATCH/repo"
# Reuse this checkout's bootstrap (Pants venv, pex CLI, podman settings): nothing to download.
ln -s "$ROOT/.polygear" .polygear
PANTS=(./pants --no-pantsd)

echo "--- template: ./pants run tool_template:new -- selftest-tool"
"${PANTS[@]}" run tool_template:new -- selftest-tool --title "Self-test Tool"
"${PANTS[@]}" tailor --check update-build-files --check lint check test package gears/selftest-tool::
if "${PANTS[@]}" run tool_template:new -- selftest-tool 2>"$SCRATCH/again.err"; then
  echo "template self-test: creating an existing tool did not fail" >&2; exit 1
fi
grep -q "already exists" "$SCRATCH/again.err"
[ -f ccp_methods/selftest-tool.json ] || { echo "template self-test: no CCP Method was generated" >&2; exit 1; }
rm -rf gears/selftest-tool ccp_methods/selftest-tool.json
echo "template self-test: the new tool passed tailor, lint, check, test and package; a second create was refused"

echo "--- manifest lint on a broken gear"
G=gears/csv-splitter/src/docker
python3 - "$G" <<'PY'
import json, re, sys
d = sys.argv[1]
build = open(f"{d}/BUILD").read()
build = re.sub(r'image_tags=\[[^\]]*\]', 'image_tags=["9.9.9"]', build)   # version + no latest
open(f"{d}/BUILD", "w").write(build)
m = json.load(open(f"{d}/manifest.json"))
m["name"] = "csv-split"                                                     # name != target
json.dump(m, open(f"{d}/manifest.json", "w"), indent=2)
PY
set +e
out="$("${PANTS[@]}" lint "$G:" 2>&1)"
code=$?
set -e
expect=(
  "$G/manifest.json:name: expected \"csv-splitter\" (the docker_image target name in $G/BUILD), found \"csv-split\""
  "$G/manifest.json:version: expected \"9.9.9\" (the image version tag in $G/BUILD), found \"0.1.0\""
  "$G/manifest.json:custom.gear-builder.image: expected \"polygear/csv-splitter:9.9.9\", found \"polygear/csv-splitter:0.1.0\""
  "$G/BUILD:image_tags: expected \"latest\" among the tags, found [\"9.9.9\"]"
)
fail=0
[ "$code" -ne 0 ] || { echo "lint self-test: ./pants lint passed on a broken gear" >&2; fail=1; }
for line in "${expect[@]}"; do
  grep -qF -- "$line" <<<"$out" || { echo "lint self-test: missing expected line: $line" >&2; fail=1; }
done
if [ "$fail" -ne 0 ]; then echo "$out" >&2; exit 1; fi
echo "lint self-test: ./pants lint exited $code with the ${#expect[@]} expected messages"

echo "--- import rules: forbidden imports are refused by Pants"
git checkout -q -- .
echo "import polygear.flywheel.metadata  # forbidden: the core imports no platform" \
  >> common/src/python/polygear/core/spec.py
echo "import polygear.testing.images  # forbidden: runtime code never imports test helpers" \
  >> gears/csv-splitter/src/python/csv_splitter_app/main.py
expect_denied() {  # expect_denied <file> <rule line>
  set +e
  out="$("${PANTS[@]}" dependencies "$1" 2>&1)"
  code=$?
  set -e
  if [ "$code" -eq 0 ] || ! grep -qF -- "DependencyRuleActionDeniedError" <<<"$out" || ! grep -qF -- "$2" <<<"$out"; then
    echo "import-rule self-test: expected Pants to refuse $1 with: $2" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "import-rule self-test: refused $1 ($2)"
}
expect_denied common/src/python/polygear/core/spec.py \
  "common/src/python/polygear/core/BUILD[!*] -> common/src/python/polygear/flywheel : DENY"
expect_denied gears/csv-splitter/src/python/csv_splitter_app/main.py \
  "gears/BUILD[!*] -> common/src/python/polygear/testing : DENY"
git checkout -q -- .
