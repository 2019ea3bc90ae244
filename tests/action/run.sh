#!/usr/bin/env bash
# Runs the GitHub Action's steps (action.yml) locally the way a runner
# would: GITHUB_* variables, an event payload file, GITHUB_ENV/OUTPUT and
# the job summary as files, on a temporary repository with a pull
# request's commits. Checks the scan range, the SARIF file, the summary and
# the exit status for pull_request, push, new-branch push and schedule
# events. Usage: tests/action/run.sh PATH/TO/leakhound
set -euo pipefail

bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
action_dir="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# The action's steps must be the scripts this test runs.
grep -q 'run: bash "$GITHUB_ACTION_PATH/action/install.sh"' "$action_dir/action.yml" ||
  fail "action.yml does not run action/install.sh"
grep -q 'run: bash "$GITHUB_ACTION_PATH/action/scan.sh"' "$action_dir/action.yml" ||
  fail "action.yml does not run action/scan.sh"

export GIT_AUTHOR_NAME="Fixture Author" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="Fixture Committer" GIT_COMMITTER_EMAIL="committer@example.com"
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"
export GIT_CONFIG_NOSYSTEM=1 HOME="$work"

# Tokens with the shape the test rule below matches; nothing real.
old_secret="tok_Old0ld0ld0ld0ld0"
pr_secret="tok_PrPr1234PrPr5678"

repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
git init -q -b main
cat >.leakhound.toml <<'TOML'
[extend]
builtin = false

[[rules]]
id = "test-token"
name = "Test token"
keywords = ["tok_"]
regex = '''\b(tok_[A-Za-z0-9]{16})\b'''
secret_group = 1
severity = "high"
confidence = "high"
[rules.remediation]
summary = "A test token."
rotation = ["Revoke it", "Issue a new one"]
TOML
echo "OLD=$old_secret" >old.env
git add . && git commit -q -m "main: an old secret, before the pull request"
base="$(git rev-parse HEAD)"
git checkout -q -b feature
echo "docs" >README.md
git add . && git commit -q -m "feature: docs"
echo "NEW=$pr_secret" >new.env
git add . && git commit -q -m "feature: a new secret"
head="$(git rev-parse HEAD)"

# Runs install + scan + the fail step with an event; prints the job status.
run_action() {
  local event="$1" payload="$2"
  shift 2
  local runner
  runner="$(mktemp -d "$work/runner-XXXX")"
  echo "$runner" >"$work/last"
  printf '%s' "$payload" >"$runner/event.json"
  : >"$runner/env" && : >"$runner/output" && : >"$runner/summary.md"
  (
    export GITHUB_ACTIONS=true GITHUB_EVENT_NAME="$event" GITHUB_EVENT_PATH="$runner/event.json"
    export GITHUB_WORKSPACE="$repo" GITHUB_ACTION_PATH="$action_dir" RUNNER_TEMP="$runner"
    export GITHUB_ENV="$runner/env" GITHUB_OUTPUT="$runner/output" GITHUB_STEP_SUMMARY="$runner/summary.md"
    export INPUT_BINARY="$bin" INPUT_SCAN=auto INPUT_ARGS="" INPUT_SARIF_FILE="$runner/leakhound.sarif"
    export INPUT_JOB_SUMMARY=true INPUT_FAIL_ON_FINDINGS=true INPUT_REDACT=true
    for assignment in "$@"; do export "${assignment?}"; done
    cd "$repo"
    bash "$GITHUB_ACTION_PATH/action/install.sh" >"$runner/log" 2>&1 || { echo "step-failed"; exit 0; }
    # Variables written to GITHUB_ENV reach the next steps.
    set -a && source "$GITHUB_ENV" && set +a
    bash "$GITHUB_ACTION_PATH/action/scan.sh" >>"$runner/log" 2>&1 || { echo "step-failed"; exit 0; }
    code="$(sed -n 's/^exit-code=//p' "$GITHUB_OUTPUT")"
    if [[ "$INPUT_FAIL_ON_FINDINGS" == "true" && "$code" == "1" ]]; then
      echo "job-failed"
    else
      echo "job-passed"
    fi
  )
}

# The runner folder of the last run, and one of its step outputs.
last() { cat "$work/last"; }
output_of() { sed -n "s/^$1=//p" "$(last)/output"; }

# Pull request: only its commits; the old secret on main is not reported.
status="$(run_action pull_request "{\"pull_request\":{\"base\":{\"sha\":\"$base\"},\"head\":{\"sha\":\"$head\"}}}")"
[[ "$status" == job-failed ]] || fail "pull_request: expected the job to fail, got $status: $(cat "$(last)/log")"
[[ "$(output_of findings)" == 1 ]] || fail "pull_request: expected 1 finding, got $(output_of findings)"
sarif="$(last)/leakhound.sarif"
[[ -s "$sarif" ]] || fail "pull_request: no SARIF file"
grep -q '"version": "2.1.0"' "$sarif" || fail "pull_request: SARIF is not 2.1.0"
grep -q '"uri": "new.env"' "$sarif" || fail "pull_request: SARIF does not point at new.env"
grep -q '"old.env"' "$sarif" && fail "pull_request: the secret from before the PR was reported"
grep -q "$pr_secret" "$sarif" "$(last)/summary.md" && fail "pull_request: a secret was written to a report"
grep -q "test-token" "$(last)/summary.md" || fail "pull_request: the job summary has no findings table"
grep -q "Scan.*history --range ${base}..${head}\|Running: leakhound scan history --range ${base}..${head}" "$(last)/log" ||
  fail "pull_request: unexpected scan range: $(cat "$(last)/log")"

# The same with fail-on-findings off: findings reported, job passes.
status="$(run_action pull_request "{\"pull_request\":{\"base\":{\"sha\":\"$base\"},\"head\":{\"sha\":\"$head\"}}}" INPUT_FAIL_ON_FINDINGS=false)"
[[ "$status" == job-passed ]] || fail "fail-on-findings=false: expected the job to pass, got $status"
[[ "$(output_of exit-code)" == 1 ]] || fail "fail-on-findings=false: exit-code output should still be 1"

# Push of the docs commit only: nothing found, job passes.
docs_commit="$(git -C "$repo" rev-parse HEAD~1)"
status="$(run_action push "{\"before\":\"$base\",\"after\":\"$docs_commit\"}")"
[[ "$status" == job-passed ]] || fail "push: expected a clean scan, got $status: $(cat "$(last)/log")"
[[ "$(output_of findings)" == 0 ]] || fail "push: expected 0 findings"

# Push of a new branch (before is all zeros): every commit it reaches.
status="$(run_action push "{\"before\":\"0000000000000000000000000000000000000000\",\"after\":\"$head\"}")"
[[ "$status" == job-failed ]] || fail "new branch push: expected findings"
[[ "$(output_of findings)" == 2 ]] || fail "new branch push: expected 2 findings, got $(output_of findings)"

# Schedule: the whole history.
status="$(run_action schedule '{"schedule":"0 3 * * *"}')"
[[ "$status" == job-failed ]] || fail "schedule: expected findings"
[[ "$(output_of findings)" == 2 ]] || fail "schedule: expected 2 findings, got $(output_of findings)"

# A missing prebuilt binary is a clear error, not a silent pass.
status="$(run_action schedule '{}' INPUT_BINARY=/nonexistent/leakhound)"
[[ "$status" == step-failed ]] || fail "missing binary: expected the step to fail, got $status"
grep -q "does not exist" "$(last)/log" || fail "missing binary: no clear message"

echo "action test: all checks passed"
