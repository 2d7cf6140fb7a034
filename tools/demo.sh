#!/usr/bin/env bash
# Quick start, part one: install what rendering needs, then run the main job on the shipped
# defaults: SigLIP chooses and DINOv2 tracks with the sim-trained encoders in assets/models,
# offline. Extra arguments go to `pickloop run`, e.g. `tools/demo.sh --episodes 3`; pass
# --perception, --siglip, --dinov2 or --clip to replace the shipped encoders, e.g.
# `tools/demo.sh --perception oracle` or `tools/demo.sh --siglip google/siglip-base-patch16-224
# --dinov2 facebook/dinov2-small`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null; then
    echo "error: cargo not found; install Rust 1.95 or newer (https://rustup.rs) and rerun" >&2
    exit 1
fi
bash tools/install-system-deps.sh
encoders=(--siglip assets/models/siglip-sim --dinov2 assets/models/dinov2-sim)
for arg in "$@"; do
    case "$arg" in
        --perception | --perception=* | --siglip | --siglip=* | --dinov2 | --dinov2=* | --clip | --clip=*)
            encoders=()
            ;;
    esac
done
cargo run --release --locked -- run scenes/tabletop_mugs.ron --out runs/demo "${encoders[@]}" "$@"
