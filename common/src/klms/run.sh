#!/bin/sh
# STELAR KLMS entrypoint of every polygear image:  run.sh <token> <endpoint_url> <task_id> <signature>
#
#   1. GET  <endpoint_url>/api/v2/task/<task_id>/<signature>/input (Authorization: <token>) -> input.json
#   2. /bin/run --klms input.json output.json   (the tool; stages MinIO objects in and out)
#   3. POST <endpoint_url>/api/v2/task/<task_id>/<signature>/output  with output.json (no token)
#
# Exit codes: 0 done; 1 the tool reported a failure (its output JSON was still posted);
# 2 usage; 3 fetching the input failed; 4 posting the output failed; 143 (130) stopped by SIGTERM
# (SIGINT): the tool removes what it uploaded and reports, the failure is posted, temp data removed.
# Started with no arguments or with the Flywheel command (/bin/run ...), it runs the tool the
# Flywheel way; started with another absolute command (a platform that keeps this ENTRYPOINT and
# passes its own script, e.g. CCP's /ccp_data/ccp-entrypoint.sh), it runs that command: one image
# serves every platform.
set -u
RUN="${POLYGEAR_RUN:-/bin/run}"

if [ "$#" -eq 0 ] || [ "$1" = "/bin/run" ]; then
  [ "$#" -gt 0 ] && shift
  exec "$RUN" "$@"
fi
case "${2:-}" in
  http://*|https://*) ;;  # the KLMS form: <token> <endpoint_url> <task_id> <signature>
  *) case "$1" in /*) exec "$@" ;; esac ;;
esac
if [ "$#" -ne 4 ]; then
  echo "usage: $0 <token> <endpoint_url> <task_id> <signature>" >&2
  exit 2
fi
token="$1"; endpoint="$2"; task_id="$3"; signature="$4"
work="$(mktemp -d "${TMPDIR:-/tmp}/klms-task.XXXXXX")" || exit 1
child=""
stopped=""
# A signal is passed on to the running step, which cleans up and reports; this script then posts
# the failure and removes its temporary data. As PID 1 of a container, only trapped signals act.
on_signal() {
  stopped="$1"
  # Always TERM: a background job of a non-interactive shell starts with SIGINT ignored.
  [ -z "$child" ] || kill -s TERM "$child" 2>/dev/null
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap 'rm -rf "$work"' EXIT

run_step() {  # run_step CMD...: run in the background so that signals reach this script; sets $rc
  "$@" &
  child=$!
  wait "$child"; rc=$?
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done  # a trapped signal ended `wait`
  child=""
}
signal_code() { [ "$stopped" = INT ] && echo 130 || echo 143; }

echo "[STELAR INFO] fetching the task input from the KLMS API" >&2
run_step "$RUN" klms-fetch "$token" "$endpoint" "$task_id" "$signature" "$work/input.json"
if [ -n "$stopped" ]; then
  echo "[STELAR ERROR] stopped by SIG$stopped while fetching the task input" >&2
  exit "$(signal_code)"
fi
if [ "$rc" -ne 0 ]; then
  echo "[STELAR ERROR] could not fetch the task input; aborting" >&2
  exit 3
fi

run_step "$RUN" --klms "$work/input.json" "$work/output.json"
tool=$rc
if [ ! -s "$work/output.json" ]; then
  # The tool died before it could report (killed, out of memory): still tell KLMS.
  printf '{"message": "tool exited with code %s without writing its output", "outputs": {}, "metrics": {}, "status": 500}\n' \
    "$tool" >"$work/output.json"
  [ "$tool" -ne 0 ] || tool=1
fi

echo "[STELAR INFO] posting the task output to the KLMS API" >&2
stopped_before_post="$stopped"
stopped=""
run_step "$RUN" klms-post "$endpoint" "$task_id" "$signature" "$work/output.json"
if [ "$rc" -ne 0 ]; then
  echo "[STELAR ERROR] could not post the task output" >&2
  exit 4
fi
stopped="${stopped_before_post:-$stopped}"
[ -z "$stopped" ] || exit "$(signal_code)"
[ "$tool" -eq 0 ] || exit 1
exit 0
