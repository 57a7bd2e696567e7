"""Generate the demo company's logo, signature and stamp (``sample_crm/demo_data/*.png``).

``uchet init --demo`` puts these pictures into the "our company" record, so the bundled
invoice, act and contract print with a logo, a signature and a round stamp. They are drawn
as SVG here and rasterised by headless Chromium (Playwright, a test dependency) with a
transparent background, so the stamp lies over the signature line as on paper. Run once
after changing a drawing, then commit the PNGs:

    python tools/make_demo_images.py

The company's name and registration number on the stamp match ``DEMO_COMPANY`` in
``sample_crm/demo.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

from playwright.sync_api import sync_playwright

TARGET = Path(__file__).resolve().parent.parent / "src/uchet/sample_crm/demo_data"
INK = "#1d3a8a"
FONT = "DejaVu Sans, sans-serif"


def logo() -> tuple[str, int, int]:
    """A blue rounded square with a white monogram, and the company name beside it."""
    svg = f"""
    <svg xmlns="http://www.w3.org/2000/svg" width="520" height="140" viewBox="0 0 520 140">
      <rect x="6" y="6" width="128" height="128" rx="26" fill="#1f5fbf"/>
      <path d="M34 46 H106 M70 46 V110" stroke="#fff" stroke-width="16" stroke-linecap="round"/>
      <circle cx="104" cy="104" r="10" fill="#f2a900"/>
      <text x="156" y="78" font-family="{FONT}" font-weight="bold" font-size="44"
            fill="#1f3f7f">ТехноСервис</text>
      <text x="158" y="114" font-family="{FONT}" font-size="19" fill="#5a6b85"
            letter-spacing="1">ИТ-ОБОРУДОВАНИЕ И УСЛУГИ</text>
    </svg>"""
    return svg, 520, 140


def signature() -> tuple[str, int, int]:
    """A handwritten-looking flourish in blue ink."""
    path = (
        "M24 96 C30 60 40 24 52 22 C62 20 56 58 50 82 C46 98 44 104 48 96 "
        "C58 72 72 42 84 44 C94 46 80 84 88 88 C96 92 106 58 118 56 C128 54 120 84 130 86 "
        "C140 88 146 62 156 60 C168 58 160 86 172 84 C190 80 196 30 210 28 "
        "C222 26 214 70 206 88 C200 102 222 76 236 70 C252 62 262 72 276 66 "
        "C290 60 298 52 308 50"
    )
    svg = f"""
    <svg xmlns="http://www.w3.org/2000/svg" width="320" height="130" viewBox="0 0 320 130">
      <path d="{path}" fill="none" stroke="{INK}" stroke-width="4.5"
            stroke-linecap="round" stroke-linejoin="round"/>
      <path d="M36 112 C100 100 190 108 296 96" fill="none" stroke="{INK}" stroke-width="3"
            stroke-linecap="round"/>
    </svg>"""
    return svg, 320, 130


def stamp() -> tuple[str, int, int]:
    """A round company stamp: the legal name around the rim, the city in the middle."""
    rim = "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ «ТЕХНОСЕРВИС» • "
    cx = cy = 200
    radius = 153
    # Letters spaced by their width (Ш and Щ are wide, spaces and dots narrow).
    widths = [1.35 if ch in "ШЩЖМЮ" else 0.55 if ch in " •" else 1.0 for ch in rim]
    letters = []
    for i, ch in enumerate(rim):
        angle = 360 * (sum(widths[:i]) + widths[i] / 2) / sum(widths)
        x = cx + radius * math.sin(math.radians(angle))
        y = cy - radius * math.cos(math.radians(angle))
        letters.append(
            f'<text x="{x:.1f}" y="{y:.1f}" transform="rotate({angle:.1f} {x:.1f} {y:.1f})" '
            f'font-family="{FONT}" font-weight="bold" font-size="21" fill="{INK}" '
            f'text-anchor="middle" dominant-baseline="central">{ch}</text>'
        )
    svg = f"""
    <svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400">
      <g opacity="0.85">
        <circle cx="200" cy="200" r="190" fill="none" stroke="{INK}" stroke-width="7"/>
        <circle cx="200" cy="200" r="176" fill="none" stroke="{INK}" stroke-width="2.5"/>
        <circle cx="200" cy="200" r="126" fill="none" stroke="{INK}" stroke-width="3"/>
        {"".join(letters)}
        <text x="200" y="172" font-family="{FONT}" font-size="19" fill="{INK}"
              text-anchor="middle">ИНН 7701234567</text>
        <text x="200" y="214" font-family="{FONT}" font-weight="bold" font-size="34"
              fill="{INK}" text-anchor="middle">МОСКВА</text>
        <text x="200" y="250" font-family="{FONT}" font-size="19" fill="{INK}"
              text-anchor="middle">ОГРН 1157746123456</text>
      </g>
    </svg>"""
    return svg, 400, 400


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        for name, draw in (("logo", logo), ("signature", signature), ("stamp", stamp)):
            svg, width, height = draw()
            page.set_viewport_size({"width": width, "height": height})
            page.set_content(
                "<html><body style='margin:0;background:transparent'>" + svg + "</body></html>"
            )
            out = TARGET / f"{name}.png"
            page.locator("svg").screenshot(path=str(out), omit_background=True)
            print(f"wrote {out} ({out.stat().st_size} bytes)")
        browser.close()


if __name__ == "__main__":
    main()
