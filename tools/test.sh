#!/usr/bin/env bash
# Quick start, part two: install what the tests need, then run the whole test suite in the
# release profile (rendering and physics tests are too slow unoptimised).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install Rust 1.95 or newer (https://rustup.rs) and rerun" >&2
    exit 1
fi
bash tools/install-system-deps.sh
cargo test --release --locked "$@"
