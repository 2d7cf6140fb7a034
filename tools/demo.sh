#!/usr/bin/env bash
# Quick start, part one: install what rendering needs, then run the main job on the shipped
# defaults. Extra arguments go to `pickloop run`, e.g. `tools/demo.sh --episodes 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install Rust 1.95 or newer (https://rustup.rs) and rerun" >&2
    exit 1
fi
bash tools/install-system-deps.sh
cargo run --release --locked -- run scenes/tabletop_mugs.ron --out runs/demo "$@"
