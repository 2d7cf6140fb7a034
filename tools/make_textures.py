#!/usr/bin/env python3
"""Writes the small procedural PNG textures under assets/textures/.

Standard library only (zlib + struct), so it runs anywhere Python 3 does. The output is
deterministic: rerunning the script reproduces the committed files byte for byte.

Usage: python3 tools/make_textures.py [OUTPUT_DIR]   (default: assets/textures)
"""

import math
import random
import struct
import sys
import zlib
from pathlib import Path

SIZE_PX = 64


def write_png(path: Path, width: int, height: int, rows: list[bytes]) -> None:
    """Writes 8-bit RGB rows as a PNG file (no filtering, one IDAT chunk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def wood(rng: random.Random) -> list[bytes]:
    """Returns light grain lines along X with a little noise, to be tinted by the material colour."""
    rows = []
    phases = [rng.uniform(0, math.tau) for _ in range(3)]
    for y in range(SIZE_PX):
        row = bytearray()
        for x in range(SIZE_PX):
            wobble = 2.0 * math.sin(x / SIZE_PX * math.tau + phases[0])
            grain = 0.5 + 0.5 * math.sin((y + wobble) / SIZE_PX * math.tau * 6 + phases[1])
            shade = 0.82 + 0.12 * grain + rng.uniform(-0.03, 0.03)
            value = max(0, min(255, round(255 * shade)))
            row += bytes((value, value, value))
        rows.append(bytes(row))
    return rows


def cardboard(rng: random.Random) -> list[bytes]:
    """Returns faint corrugation stripes and speckle, to be tinted by the material colour."""
    rows = []
    for y in range(SIZE_PX):
        row = bytearray()
        for x in range(SIZE_PX):
            stripe = 0.5 + 0.5 * math.cos(x / SIZE_PX * math.tau * 8)
            shade = 0.86 + 0.06 * stripe + rng.uniform(-0.04, 0.04)
            value = max(0, min(255, round(255 * shade)))
            row += bytes((value, value, value))
        rows.append(bytes(row))
    return rows


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("assets/textures")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, make, seed in [("wood.png", wood, 7), ("cardboard.png", cardboard, 11)]:
        path = out_dir / name
        write_png(path, SIZE_PX, SIZE_PX, make(random.Random(seed)))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
