#!/usr/bin/env bash
# Times a full-history scan of one repository by leakhound, gitleaks,
# betterleaks and Kingfisher (validation off), next to the floor: git
# inflating every object once. Same repository, same run.
#
#   benches/compare_history.sh REPO [RUNS]
#
# For a complete copy of a public repository with only its branches and
# tags:  git init --bare R.git && git -C R.git fetch SRC 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
# Synthetic repositories of any size: benches/gen_repo.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo=$(cd "${1:?usage: compare_history.sh REPO [RUNS]}" && pwd)
runs=${2:-3}
source "$here/tools.sh"

echo "repo: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $(git -C "$repo" count-objects -vH | awk '/size-pack/ {print $2, $3}') packed), $(nproc) cores, median of $runs"
python3 "$here/timeit.py" "$runs" \
  "floor=git -C '$repo' cat-file --batch-all-objects --batch --unordered" \
  "leakhound=$LEAKHOUND scan history '$repo' --no-progress -f json -o /tmp/leakhound-report.json" \
  "gitleaks=$GITLEAKS git '$repo' --no-banner --log-level error --exit-code 0 -f json -r /tmp/gitleaks-report.json" \
  "betterleaks=$BETTERLEAKS git '$repo' --no-banner --log-level error --exit-code 0 -o /tmp/betterleaks-history.json" \
  "kingfisher=$KINGFISHER scan '$repo' --no-validate --no-update-check --format json -o /tmp/kingfisher-report.json"
