#!/usr/bin/env bash
# Times a folder scan by leakhound, gitleaks, betterleaks and Kingfisher
# (validation off) on the same tree in the same run.
#
#   benches/compare_dir.sh DIR [RUNS]
#
# DIR should not be a git work tree (or all tools would disagree about
# ignore files); an extracted archive of a real repository is a good input.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir=$(cd "${1:?usage: compare_dir.sh DIR [RUNS]}" && pwd)
runs=${2:-5}
source "$here/tools.sh"

echo "tree: $dir ($(du -sh "$dir" | cut -f1), $(find "$dir" -type f | wc -l) files), $(nproc) cores, median of $runs"
python3 "$here/timeit.py" "$runs" \
  "leakhound=$LEAKHOUND scan '$dir' --no-ignore -f json -o /tmp/leakhound-report.json" \
  "gitleaks=$GITLEAKS dir '$dir' --no-banner --log-level error --exit-code 0 -f json -r /tmp/gitleaks-report.json" \
  "betterleaks=$BETTERLEAKS '$dir' --no-banner --log-level error --exit-code 0 -o /tmp/betterleaks-report.json" \
  "kingfisher=$KINGFISHER scan '$dir' --git-history none --no-validate --format json -o /tmp/kingfisher-report.json"
