#!/usr/bin/env python3
"""Write Pillow resize outputs that the resampler test compares against bit for bit.

Usage: python3 tools/make_resample_fixtures.py   (needs pillow and numpy)

Writes tests/fixtures/reference/resample/: source.png (a 37x29 random RGB image, seed 7) and
one PNG per filter and size, named FILTER_WIDTHxHEIGHT.png, from Pillow's Image.resize.
"""

from pathlib import Path

import numpy as np
from PIL import Image

DESTINATION = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reference" / "resample"
FILTERS = {"lanczos": Image.LANCZOS, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
# Downscale, upscale, mixed, one axis unchanged, a large reduction, and three sizes for which
# Pillow 13 runs the vertical pass first (the height shrinks by more than twice the width).
SIZES = [(16, 16), (64, 50), (20, 40), (37, 11), (5, 3), (30, 10), (36, 5), (50, 12)]


def main() -> None:
    DESTINATION.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    source = Image.fromarray(rng.integers(0, 256, size=(29, 37, 3), dtype=np.uint8), "RGB")
    source.save(DESTINATION / "source.png")
    for name, code in FILTERS.items():
        for width, height in SIZES:
            source.resize((width, height), code).save(DESTINATION / f"{name}_{width}x{height}.png")
    print(f"wrote {DESTINATION} with Pillow {Image.__version__}")


if __name__ == "__main__":
    main()
