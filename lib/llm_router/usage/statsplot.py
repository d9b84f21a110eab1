"""`stats --plot FILE.png`: cost and calls per day as a two-panel bar chart, standard library only.

Why not matplotlib: it (with numpy, pillow, fonttools...) is ~40 MB in the plugin's venv
and takes most of a second to import, for a chart that is two series of bars. A PNG is a
zlib stream of RGB rows plus three checksummed chunks; with a 5x7 bitmap font for the
axis labels it is ~200 lines, works in any interpreter the plugin runs under, needs no
`llm-router setup`, and gives byte-identical output for the same data (testable).
"""

import struct
import zlib

# 5x7 bitmap font: 7 rows of 5 pixels per glyph. Lower case is drawn as upper case.
_FONT_ROWS = {
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11100 10010 10001 10001 10001 10010 11100",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 10001 01010 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    " ": "00000 00000 00000 00000 00000 00000 00000", ".": "00000 00000 00000 00000 00000 01100 01100",
    ",": "00000 00000 00000 00000 01100 00100 01000", "-": "00000 00000 00000 11111 00000 00000 00000",
    ":": "00000 01100 01100 00000 01100 01100 00000", "$": "00100 01111 10100 01110 00101 11110 00100",
    "(": "00010 00100 01000 01000 01000 00100 00010", ")": "01000 00100 00010 00010 00010 00100 01000",
    "/": "00000 00001 00010 00100 01000 10000 00000", "%": "11000 11001 00010 00100 01000 10011 00011",
    "~": "00000 00000 01000 10101 00010 00000 00000", "+": "00000 00100 00100 11111 00100 00100 00000",
    "_": "00000 00000 00000 00000 00000 00000 11111", "?": "01110 10001 00001 00010 00100 00000 00100",
    "=": "00000 00000 11111 00000 11111 00000 00000", "*": "00000 00100 10101 01110 10101 00100 00000",
}
_FONT = {ch: [[c == "1" for c in row] for row in rows.split()] for ch, rows in _FONT_ROWS.items()}

WHITE = (255, 255, 255)
INK = (40, 40, 40)
GRID = (225, 225, 225)
COST = (52, 101, 164)
CALLS = (78, 154, 6)
FAILED = (204, 0, 0)
SCALE = 2  # font pixels per bitmap pixel
CHAR_W = 6 * SCALE
CHAR_H = 7 * SCALE


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(WHITE * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: tuple) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        if x0 >= x1:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(row)] = row

    def text(self, x: int, y: int, text: str, color: tuple = INK) -> None:
        for i, ch in enumerate(text.upper()):
            glyph = _FONT.get(ch, _FONT["?"])
            for gy, row in enumerate(glyph):
                for gx, on in enumerate(row):
                    if on:
                        px, py = x + i * CHAR_W + gx * SCALE, y + gy * SCALE
                        self.rect(px, py, px + SCALE, py + SCALE, color)

    def png(self) -> bytes:
        stride = self.width * 3
        # Filter byte 0 (none) before each row; zlib does the rest.
        raw = b"".join(b"\x00" + bytes(self.pixels[y * stride:(y + 1) * stride]) for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above `value` (a readable axis top)."""
    if value <= 0:
        return 1.0
    step = 10.0 ** _floor_log10(value)
    for factor in (1, 2, 5, 10):
        if factor * step >= value * (1 - 1e-9):
            return factor * step
    return 10 * step


def _floor_log10(value: float) -> int:
    exponent = 0
    while value >= 10:
        value, exponent = value / 10, exponent + 1
    while value < 1:
        value, exponent = value * 10, exponent - 1
    return exponent


def _money(value: float) -> str:
    if value == 0:
        return "$0"
    text = f"{value:.2f}".rstrip("0").rstrip(".") if value >= 1 else f"{value:.3g}"
    return "$" + text


def _count(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}K"


def render(days: list[tuple[str, float, int, int]], title: str, note: str = "") -> bytes:
    """PNG bytes: (day, cost_usd, calls, failures) per day, one bar per day, oldest left."""
    plot_left, plot_right = 9 * CHAR_W + 16, 24  # room for a "$0.0025" axis label
    bars_w = plot_left + plot_right + 14 * max(len(days), 1)
    text_w = 32 + CHAR_W * max(len(title), len(note))
    width = max(720, text_w, min(2400, bars_w))
    panel_h, top = 200, 20 + 2 * CHAR_H
    height = top + 2 * (panel_h + 4 * CHAR_H + 10) + CHAR_H * 2
    canvas = Canvas(width, height)
    canvas.text(16, 12, title)
    box = (plot_left, width - plot_right)
    y = top + CHAR_H + 6
    _panel(canvas, box, y, panel_h, "cost per day (USD)", days,
           [(d[1], 0.0) for d in days], _money, COST)
    y += panel_h + 4 * CHAR_H + 10
    _panel(canvas, box, y, panel_h, "calls per day (red: failed)", days,
           [(float(d[2] - d[3]), float(d[3])) for d in days], _count, CALLS)
    if note:
        canvas.text(16, height - CHAR_H - 8, note, (110, 110, 110))
    return canvas.png()


def _panel(canvas: Canvas, box: tuple, y0: int, height: int, label: str, days: list,
           values: list[tuple[float, float]], fmt, color: tuple) -> None:
    """One panel: title, 4 gridlines with labels, stacked bars (value, failed), x labels."""
    left, right = box
    canvas.text(left, y0 - CHAR_H - 6, label)
    top_value = nice_ceiling(max((a + b for a, b in values), default=0.0))
    for i in range(5):
        gy = y0 + height - round(height * i / 4)
        canvas.rect(left, gy, right, gy + 1, GRID if i else INK)
        text = fmt(top_value * i / 4)
        canvas.text(left - len(text) * CHAR_W - 8, gy - CHAR_H // 2, text)
    slot = (right - left) / max(len(days), 1)
    bar = max(1, int(slot * 0.7))
    every = max(1, -(-(5 * CHAR_W + 8) // max(int(slot), 1)))
    for i, (main, failed) in enumerate(values):
        x = left + int(i * slot + (slot - bar) / 2)
        base = y0 + height
        main_h = round(height * main / top_value)
        fail_h = round(height * failed / top_value)
        canvas.rect(x, base - main_h, x + bar, base, color)
        canvas.rect(x, base - main_h - fail_h, x + bar, base - main_h, FAILED)
        if i % every == 0:
            canvas.text(int(left + i * slot + slot / 2 - 2.5 * CHAR_W), base + 8, days[i][0][5:])  # MM-DD
