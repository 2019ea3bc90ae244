#!/usr/bin/env bash
# Install step of the leakhound GitHub Action: use the prebuilt binary given
# as input, or build leakhound from the action's own source. Sets
# LEAKHOUND_BIN for the later steps. No network access beyond cargo's.
set -euo pipefail

if [[ -n "${INPUT_BINARY:-}" ]]; then
  bin="$INPUT_BINARY"
  if [[ ! -x "$bin" ]]; then
    echo "::error::leakhound binary '$bin' (input 'binary') does not exist or is not executable"
    exit 2
  fi
else
  if ! command -v cargo >/dev/null; then
    echo "::error::cargo is not installed: add a Rust toolchain step before this action, or pass a prebuilt binary as the 'binary' input"
    exit 2
  fi
  target_dir="${RUNNER_TEMP:-/tmp}/leakhound-target"
  echo "Building leakhound from ${GITHUB_ACTION_PATH} (cached in ${target_dir})"
  cargo build --release --locked --quiet \
    --manifest-path "${GITHUB_ACTION_PATH}/Cargo.toml" --target-dir "$target_dir"
  bin="${target_dir}/release/leakhound"
fi

"$bin" --version
echo "LEAKHOUND_BIN=$bin" >>"$GITHUB_ENV"
