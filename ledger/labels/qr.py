"""QR codes of Digital Link URIs: the module matrix, a PNG and an SVG.

Error correction level Q (recovers about 25% of the symbol: labels on produce boxes get
scuffed and wet; M is the least they need) and the four-module quiet zone ISO/IEC 18004
requires. A PNG of 10 pixels per module is about 38 mm wide at 300 dpi for a 70-character
URI (version 5, 37 modules).
"""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_Q

__all__ = ["QUIET_ZONE", "qr_matrix", "qr_png", "qr_svg"]

QUIET_ZONE = 4  # modules of white around the symbol (ISO/IEC 18004)
MAX_DATA = 512  # characters; a Digital Link URI is far shorter


def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The symbol's modules, row by row (True = dark), without the quiet zone. The last
    thousand are kept: choosing the mask is most of the work, and the same label or page
    code is asked for again and again."""
    if not data or len(data) > MAX_DATA:
        raise ValueError(f"QR data must be 1-{MAX_DATA} characters")
    return _matrix(data)


@lru_cache(maxsize=1024)
def _matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(module) for module in row) for row in code.get_matrix())


def qr_png(data: str, *, box_size: int = 10) -> bytes:
    """A black-on-white 1-bit PNG, ``box_size`` pixels per module, with the quiet zone."""
    if not 1 <= box_size <= 40:
        raise ValueError("box_size must be 1-40 pixels per module")
    matrix = qr_matrix(data)
    side = len(matrix) + 2 * QUIET_ZONE
    pixels = bytearray(b"\xff" * side * side)
    for y, row in enumerate(matrix):
        start = (y + QUIET_ZONE) * side + QUIET_ZONE
        pixels[start:start + len(row)] = bytes(0 if dark else 255 for dark in row)
    image = Image.frombytes("L", (side, side), bytes(pixels))
    image = image.resize((side * box_size, side * box_size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(out, format="PNG")
    return out.getvalue()


def qr_svg(data: str, *, size: str | None = None, title: str | None = None) -> str:
    """A compact SVG (one path, one unit per module) with the quiet zone; ``size`` sets its
    width and height (e.g. ``"40mm"``), ``title`` an accessible name (escaped here)."""
    matrix = qr_matrix(data)
    side = len(matrix) + 2 * QUIET_ZONE
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                end = x
                while end < len(row) and row[end]:
                    end += 1
                runs.append(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{end - x}v1h-{end - x}z")
                x = end
            else:
                x += 1
    dimensions = f' width="{size}" height="{size}"' if size else ""
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}"'
            f'{dimensions} role="img" shape-rendering="crispEdges">{label}'
            f'<rect width="{side}" height="{side}" fill="#fff"/>'
            f'<path fill="#000" d="{"".join(runs)}"/></svg>')


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
