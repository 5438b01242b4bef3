"""The app's icons (six seats round a table), drawn with Pillow, and the checks Teams applies.

Run `python -m manifest.icons` to redraw `manifest/color.png` and `manifest/outline.png`; the
build packs the committed files.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw

Role = Literal["color", "outline"]
SIZES: dict[Role, int] = {"color": 192, "outline": 32}
HERE = Path(__file__).parent
BACKGROUND = (31, 111, 92)  # the default accent colour, #1F6F5C
WHITE = (255, 255, 255)
SCALE = 8  # drawn this much larger, then reduced, for smooth edges


def _seats(draw: ImageDraw.ImageDraw, size: int, *, table: float, ring: float, seat: float,
           width: float) -> None:
    """A table (a ring) with six seats (discs) evenly round it, in white, centred."""
    c = size / 2
    r = table * size
    draw.ellipse((c - r, c - r, c + r, c + r), outline=255 if draw.mode == "L" else WHITE,
                 width=max(1, round(width * size)))
    fill = 255 if draw.mode == "L" else WHITE
    for k in range(6):
        angle = math.pi / 2 + k * math.pi / 3
        x = c + ring * size * math.cos(angle)
        y = c - ring * size * math.sin(angle)
        s = seat * size
        draw.ellipse((x - s, y - s, x + s, y + s), fill=fill)


def draw_color() -> Image.Image:
    """The 192×192 full-colour icon: white seats on a solid green square."""
    big = SIZES["color"] * SCALE
    image = Image.new("RGB", (big, big), BACKGROUND)
    _seats(ImageDraw.Draw(image), big, table=0.17, ring=0.32, seat=0.075, width=0.045)
    return image.resize((SIZES["color"],) * 2, Image.Resampling.LANCZOS)


def draw_outline() -> Image.Image:
    """The 32×32 outline icon: white on transparent; edge pixels are white with partial alpha."""
    big = SIZES["outline"] * SCALE
    mask = Image.new("L", (big, big), 0)
    _seats(ImageDraw.Draw(mask), big, table=0.19, ring=0.38, seat=0.095, width=0.08)
    alpha = mask.resize((SIZES["outline"],) * 2, Image.Resampling.LANCZOS)
    image = Image.new("RGBA", alpha.size, (*WHITE, 0))
    image.putalpha(alpha)
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write(directory: Path = HERE) -> tuple[Path, Path]:
    color, outline = directory / "color.png", directory / "outline.png"
    color.write_bytes(png(draw_color()))
    outline.write_bytes(png(draw_outline()))
    return color, outline


def problems(name: str, data: bytes, role: Role) -> list[str]:
    """What Teams would reject in this icon: not a PNG, wrong size, or an outline not white."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            fmt = opened.format
            image = opened.convert("RGBA") if opened.mode != "RGBA" else opened.copy()
            has_alpha = "A" in opened.getbands() or "transparency" in opened.info
    except (OSError, ValueError) as error:
        return [f"{name}: not a readable image ({error})"]
    found: list[str] = []
    if fmt != "PNG":
        found.append(f"{name}: must be a PNG, not {fmt}")
    size = SIZES[role]
    if image.size != (size, size):
        found.append(f"{name}: must be {size}×{size} pixels, not {image.width}×{image.height}")
    raw = image.tobytes()
    if role == "outline":
        if not has_alpha:
            found.append(f"{name}: must have a transparent background (no alpha channel)")
        stray = [i // 4 for i in range(0, len(raw), 4)
                 if raw[i + 3] != 0 and tuple(raw[i : i + 3]) != WHITE]
        if stray:
            y, x = divmod(stray[0], image.width)
            found.append(f"{name}: every pixel must be white or fully transparent; "
                         f"{len(stray)} pixel(s) are not, the first at ({x}, {y})")
    if not any(raw[3::4]):
        found.append(f"{name}: is fully transparent")
    return found


if __name__ == "__main__":
    for path in write():
        print(path)
