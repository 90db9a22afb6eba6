"""A preview written to a folder: the payload as JSON, its charts as PNGs, and one HTML page
for each width."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.preview.html import WIDTHS, render_page
from bot.preview.surfaces import Preview

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def write_preview(preview: Preview, folder: Path) -> list[Path]:
    """Write `preview` into `folder` (created if need be); the paths written, JSON first."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{preview.surface}-{_UNSAFE.sub('-', preview.subject).strip('-') or 'preview'}"
    written = [folder / f"{stem}.json"]
    written[0].write_text(json.dumps(preview.payload, indent=2, ensure_ascii=False) + "\n")
    images = {}
    for index, (file_id, png) in enumerate(sorted(preview.images.items())):
        image = folder / f"{stem}-chart{index + 1 if index else ''}.png"
        image.write_bytes(png)
        images[file_id] = image.name  # beside the pages: a relative link works in any browser
        written.append(image)
    for name, width in WIDTHS.items():
        page = folder / f"{stem}.{name}.html"
        page.write_text(
            render_page(preview.blocks, frame=preview.frame, width=width, images=images)
        )
        written.append(page)
    return written
