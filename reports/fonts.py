"""
The fonts of the PDFs: the same self-hosted Inter as the pages (static/vendor/inter), given to WeasyPrint as TrueType.
WeasyPrint would otherwise unpack every WOFF2 file again for each document (about 1.5 s a document); the unpacked
files are written once per machine to a cache folder and reused.
"""

import re
import tempfile
from functools import lru_cache
from pathlib import Path

from django.conf import settings

INTER = Path(settings.BASE_DIR) / "static" / "vendor" / "inter"


def _cache_dir():
    folder = Path(getattr(settings, "REPORT_FONT_CACHE", None) or Path(tempfile.gettempdir()) / "styrning-fonts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def truetype(woff2):
    """The TrueType copy of a WOFF2 file, made the first time it is asked for."""
    from fontTools.ttLib import TTFont

    target = _cache_dir() / (woff2.stem + ".ttf")
    if not target.exists() or target.stat().st_mtime < woff2.stat().st_mtime:
        font = TTFont(str(woff2))
        font.flavor = None
        partial = target.with_suffix(".part")
        font.save(str(partial))
        partial.replace(target)  # never a half-written font for another process
    return target


@lru_cache(maxsize=1)
def font_css():
    """Inter's @font-face rules pointing at the TrueType copies (file URLs)."""
    css = (INTER / "inter.css").read_text(encoding="utf-8")

    def replace(match):
        return f'url("{truetype(INTER / match.group(1)).as_uri()}") format("truetype")'

    return re.sub(r'url\("\./(files/[^"]+\.woff2)"\) format\("woff2"\)', replace, css)
