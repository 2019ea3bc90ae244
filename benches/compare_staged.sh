#!/usr/bin/env bash
# Times the pre-commit scan of 5 staged, modified files in a large
# repository: leakhound against gitleaks, betterleaks and Kingfisher
# (validation off) on the same staged change, in the same run.
#
#   benches/compare_staged.sh REPO [RUNS]
#
# The edit appends one line to each file: by default one no rule's keyword
# is in; ADDED='api_token = os.environ["API_TOKEN"]' benches/compare_staged.sh
# REPO adds one that makes the generic rules compile and run.
#
# REPO must be a work tree with a clean status; the script stages an edit
# of 5 tracked files and restores them afterwards. A 50,000-file one comes
# from: benches/gen_repo.py DIR --files 50000 --commits 30
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo=$(cd "${1:?usage: compare_staged.sh REPO [RUNS]}" && pwd)
runs=${2:-11}
source "$here/tools.sh"

cd "$repo"
mapfile -t files < <(git ls-files | awk 'NR % 997 == 1' | head -n 5)
restore() { git reset -q -- "${files[@]}" && git checkout -q -- "${files[@]}"; }
trap restore EXIT
added=${ADDED:-refresh_interval = 30}
for f in "${files[@]}"; do printf '%s\n' "$added" >> "$f"; done
git add -- "${files[@]}"

echo "repo: $repo ($(git ls-files | wc -l) files), staged: ${#files[@]} modified files (each + '$added'), $(nproc) cores, median of $runs"
python3 "$here/timeit.py" "$runs" \
  "leakhound=$LEAKHOUND scan staged" \
  "gitleaks=$GITLEAKS git --pre-commit --staged --no-banner --log-level error --exit-code 0 ." \
  "betterleaks=$BETTERLEAKS git --staged --no-banner --log-level error --exit-code 0 ." \
  "kingfisher=$KINGFISHER scan . --staged --no-validate --no-update-check"
