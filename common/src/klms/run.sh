#!/bin/sh
# STELAR KLMS entrypoint of every polygear image:  run.sh <token> <endpoint_url> <task_id> <signature>
#
#   1. GET  <endpoint_url>/api/v2/task/<task_id>/<signature>/input (Authorization: <token>) -> input.json
#   2. /bin/run --klms input.json output.json   (the gear; stages MinIO objects in and out)
#   3. POST <endpoint_url>/api/v2/task/<task_id>/<signature>/output  with output.json (no token)
#
# Exit codes: 0 done; 1 the tool reported a failure (its output JSON was still posted);
# 2 usage; 3 fetching the input failed; 4 posting the output failed.
# Started with no arguments or with the Flywheel command (/bin/run ...), it runs the gear the
# Flywheel way, so one image serves both platforms.
set -u
RUN="${POLYGEAR_RUN:-/bin/run}"

if [ "$#" -eq 0 ] || [ "$1" = "/bin/run" ]; then
  [ "$#" -gt 0 ] && shift
  exec "$RUN" "$@"
fi
if [ "$#" -ne 4 ]; then
  echo "usage: $0 <token> <endpoint_url> <task_id> <signature>" >&2
  exit 2
fi
token="$1"; endpoint="$2"; task_id="$3"; signature="$4"
work="$(mktemp -d "${TMPDIR:-/tmp}/klms-task.XXXXXX")" || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

echo "[STELAR INFO] fetching the task input from the KLMS API" >&2
if ! "$RUN" klms-fetch "$token" "$endpoint" "$task_id" "$signature" "$work/input.json"; then
  echo "[STELAR ERROR] could not fetch the task input; aborting" >&2
  exit 3
fi

"$RUN" --klms "$work/input.json" "$work/output.json"
tool=$?
if [ ! -s "$work/output.json" ]; then
  # The tool died before it could report (killed, out of memory): still tell KLMS.
  printf '{"message": "tool exited with code %s without writing its output", "outputs": {}, "metrics": {}, "status": 500}\n' \
    "$tool" >"$work/output.json"
  [ "$tool" -ne 0 ] || tool=1
fi

echo "[STELAR INFO] posting the task output to the KLMS API" >&2
if ! "$RUN" klms-post "$endpoint" "$task_id" "$signature" "$work/output.json"; then
  echo "[STELAR ERROR] could not post the task output" >&2
  exit 4
fi
[ "$tool" -eq 0 ] || exit 1
exit 0
