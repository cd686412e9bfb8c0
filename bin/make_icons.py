#!/usr/bin/env python3
"""Draw each addon's Apps-menu icon (static/description/icon.png), 140x140.

    python3 bin/make_icons.py      (needs Pillow, which Odoo requires anyway)

One colour and glyph per addon, the same two-arrow "sync" frame for all of them, so the
icons read as one family in the Apps menu."""

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
# A bold TrueType font with Cyrillic; Pillow's built-in bitmap font ignores sizes.
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
         "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")
# addon -> (background colour, short label drawn in the middle)
ICONS = {
    "crm_sync_base": ("#5B4B8A", ""),
    "crm_social_messages": ("#2787F5", "@"),
    "crm_webforms": ("#1F7A8C", "WF"),
    "crm_google_sync": ("#1A73E8", "G"),
    "crm_commerceml": ("#C8102E", "1C"),
    "crm_kladr": ("#1F7A5C", "KL"),
    "crm_domino_sync": ("#F2B705", "N"),
    "crm_domino_sync_todo": ("#C98A00", "NT"),
    "crm_exchange_sync": ("#0F6CBD", "EX"),
}


def font(size: int) -> ImageFont.ImageFont:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise SystemExit("No TrueType font found for the labels: install Debian's "
                     "fonts-dejavu-core (or set FONTS in bin/make_icons.py).")


def draw(colour: str, label: str) -> Image.Image:
    size, scale = 140, 4
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=28 * scale, fill=colour)
    centre, radius, width = big / 2, 38 * scale, 10 * scale
    box = (centre - radius, centre - radius, centre + radius, centre + radius)
    for start in (200, 20):  # two arcs, each ending in an arrow head
        pen.arc(box, start, start + 130, fill="white", width=width)
        end = math.radians(start + 130)
        tip = (centre + radius * math.cos(end), centre + radius * math.sin(end))
        ahead = end + math.pi / 2
        head = 16 * scale
        points = [
            (tip[0] + head * math.cos(ahead), tip[1] + head * math.sin(ahead)),
            (tip[0] + head * 0.9 * math.cos(end), tip[1] + head * 0.9 * math.sin(end)),
            (tip[0] - head * 0.9 * math.cos(end), tip[1] - head * 0.9 * math.sin(end)),
        ]
        pen.polygon(points, fill="white")
    if label:
        size_px = (30 if len(label) <= 2 else 22) * scale
        pen.text((centre, centre), label, fill="white", anchor="mm", font=font(size_px))
    else:
        dot = 9 * scale
        pen.ellipse((centre - dot, centre - dot, centre + dot, centre + dot), fill="white")
    return image.resize((size, size), Image.LANCZOS)


def main() -> int:
    for addon, (colour, label) in ICONS.items():
        target = ROOT / "addons" / addon / "static" / "description" / "icon.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        draw(colour, label).save(target, optimize=True)
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
