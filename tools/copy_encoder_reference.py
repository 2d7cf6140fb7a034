#!/usr/bin/env python3
"""Copy the encoder parity references into tests/fixtures/reference.

Usage: python3 tools/copy_encoder_reference.py SOURCE_DIR

SOURCE_DIR holds siglip-tiny/ and dinov2-tiny/: random-weight Hugging Face checkpoints with the
outputs of transformers 5.25 in reference.safetensors. The tests read only the copies, so they
run without SOURCE_DIR. The DINOv2 reference stores the 224x224 input twice, as pixel_values_224
and as input_224x224. The copy keeps only input_224x224, after checking that both are equal,
so the fixtures stay near 6 MB. Needs numpy and safetensors (pip install numpy safetensors).
"""

import shutil
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

DESTINATION = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reference"

FILES = {
    "siglip-tiny": [
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "tokenizer.json",
        "reference_texts.json",
        "reference.safetensors",
        "ref_image_0.png",
        "ref_image_1.png",
    ],
    "dinov2-tiny": ["config.json", "model.safetensors", "preprocessor_config.json", "ref_image_0.png"],
}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = Path(sys.argv[1])
    for model, names in FILES.items():
        target = DESTINATION / model
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(source / model / name, target / name)

    tensors = load_file(source / "dinov2-tiny" / "reference.safetensors")
    duplicate = tensors.pop("pixel_values_224")
    if not np.array_equal(duplicate, tensors["input_224x224"]):
        sys.exit("pixel_values_224 differs from input_224x224; keep both and raise the size budget")
    save_file(tensors, DESTINATION / "dinov2-tiny" / "reference.safetensors")
    total = sum(path.stat().st_size for path in DESTINATION.rglob("*") if path.is_file())
    print(f"copied to {DESTINATION} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
