#!/usr/bin/env bash
# Scan step of the leakhound GitHub Action. Chooses what to scan from the
# event (GITHUB_EVENT_NAME and the payload at GITHUB_EVENT_PATH), writes
# SARIF and a markdown job summary, and sets the step outputs. The job's
# pass/fail is decided by the action's last step from `exit-code`.
set -euo pipefail

: "${LEAKHOUND_BIN:?the install step did not run}"
: "${GITHUB_OUTPUT:?not running as a GitHub Actions step}"
sarif="${INPUT_SARIF_FILE:-leakhound.sarif}"
mode="${INPUT_SCAN:-auto}"
event="${GITHUB_EVENT_NAME:-}"
payload="${GITHUB_EVENT_PATH:-}"

# Reads a field of the event payload (a jq path), empty if absent.
event_field() {
  if [[ -z "$payload" || ! -f "$payload" ]]; then
    return 0
  fi
  if command -v jq >/dev/null; then
    jq -r "$1 // empty" "$payload"
  elif command -v python3 >/dev/null; then
    python3 - "$payload" "$1" <<'PY'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].lstrip(".").split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)
PY
  else
    echo "::error::reading the event payload needs jq or python3 on the runner" >&2
    exit 2
  fi
}

is_null_sha() { [[ "$1" =~ ^0+$ ]]; }

scan=()
case "$mode" in
  tree) scan=(scan .) ;;
  history) scan=(scan history) ;;
  auto)
    case "$event" in
      pull_request | pull_request_target)
        base="$(event_field .pull_request.base.sha)"
        head="$(event_field .pull_request.head.sha)"
        if [[ -z "$base" || -z "$head" ]]; then
          echo "::error::the $event payload has no pull_request.base.sha / head.sha"
          exit 2
        fi
        scan=(scan history --range "${base}..${head}")
        ;;
      push)
        before="$(event_field .before)"
        after="$(event_field .after)"
        if [[ -z "$after" ]] || is_null_sha "$after"; then
          echo "A branch deletion: nothing to scan."
          echo "findings=0" >>"$GITHUB_OUTPUT"
          echo "exit-code=0" >>"$GITHUB_OUTPUT"
          echo "sarif-file=" >>"$GITHUB_OUTPUT"
          exit 0
        elif [[ -z "$before" ]] || is_null_sha "$before"; then
          # A new branch: every commit it reaches.
          scan=(scan history --branch "$after")
        else
          scan=(scan history --range "${before}..${after}")
        fi
        ;;
      *) scan=(scan history) ;;
    esac
    ;;
  *)
    echo "::error::input 'scan' must be auto, history or tree, not '$mode'"
    exit 2
    ;;
esac

extra=()
if [[ -n "${INPUT_ARGS:-}" ]]; then
  # Word-split the user's extra arguments, as a shell would.
  read -r -a extra <<<"$INPUT_ARGS"
fi

summary=()
if [[ "${INPUT_JOB_SUMMARY:-true}" == "true" && -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  summary_file="${RUNNER_TEMP:-/tmp}/leakhound-summary.md"
  summary=(--report "markdown=${summary_file}")
fi
json_file="${RUNNER_TEMP:-/tmp}/leakhound-report.json"

redact=()
if [[ "${INPUT_REDACT:-true}" == "true" ]]; then
  redact=(--redact)
fi

echo "Running: leakhound ${scan[*]} ${extra[*]}"
status=0
"$LEAKHOUND_BIN" "${scan[@]}" --format sarif --output "$sarif" \
  --report "json=${json_file}" "${summary[@]}" "${redact[@]}" "${extra[@]}" || status=$?

findings=0
if [[ -f "$json_file" ]]; then
  findings="$(grep -c '"fingerprint":' "$json_file" || true)"
fi
if [[ ${#summary[@]} -gt 0 && -f "$summary_file" ]]; then
  cat "$summary_file" >>"$GITHUB_STEP_SUMMARY"
fi
{
  echo "findings=${findings}"
  echo "exit-code=${status}"
  echo "sarif-file=${sarif}"
} >>"$GITHUB_OUTPUT"

case "$status" in
  0) echo "leakhound: no secrets found." ;;
  1) echo "leakhound: ${findings} finding(s); SARIF written to ${sarif}." ;;
  *)
    echo "::error::leakhound could not complete the scan (exit code ${status}); see the log above"
    exit "$status"
    ;;
esac
if [[ "$status" == 1 && "${INPUT_FAIL_ON_FINDINGS:-true}" == "true" ]]; then
  echo "::error::leakhound found ${findings} secret(s): rotate them, then remove them (see the job summary)"
fi
exit 0
