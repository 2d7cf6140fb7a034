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
# Mesa's Vulkan drivers print an error line per device when XDG_RUNTIME_DIR is unset, as in
# containers and CI; rendering works without it, but the lines look like failures.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR=$(mktemp -d)
    export XDG_RUNTIME_DIR
fi
cargo test --release --locked "$@"
