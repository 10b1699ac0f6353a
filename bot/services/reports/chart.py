"""The report's chart: counts by category and the children's scores, as one PNG.

Drawn with matplotlib's Agg backend (no display) in a CJK font from Debian's fonts-noto-cjk
(the Makefile installs it); without one the labels would be empty boxes, so the first CJK
font matplotlib knows is used and its absence is logged once.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ticker import MaxNLocator

log = logging.getLogger(__name__)

_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, registering Noto CJK if found."""
    for path in _CANDIDATES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    for font in font_manager.fontManager.ttflist:
        if "CJK" in font.name or "Hei" in font.name or "Song" in font.name:
            return str(font.name)
    log.warning("no CJK font found: chart labels will not show Chinese (install fonts-noto-cjk)")
    return None


def draw(
    path: Path,
    title: str,
    categories: list[tuple[str, int]],
    scores: list[tuple[str, float]],
) -> Path:
    """Write the chart to `path` (PNG) and return it."""
    family = cjk_font()
    if family:
        plt.rcParams["font.family"] = [family]
    panels = 2 if scores else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), dpi=110, squeeze=False)
    fig.suptitle(title, fontsize=12)
    ax = axes[0][0]
    shown = categories[:8] or [("无", 0)]
    ax.bar([n for n, _ in shown], [c for _, c in shown], color="#3b7dd8")
    ax.set_title("按类型上报数", fontsize=10)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for n, (_, count) in enumerate(shown):
        ax.annotate(str(count), (n, count), ha="center", va="bottom", fontsize=8)
    if scores:
        ax2 = axes[0][1]
        ordered = list(reversed(scores[:10]))
        ax2.barh([n for n, _ in ordered], [s for _, s in ordered], color="#e08a2e")
        ax2.set_xlim(0, 100)
        ax2.set_title("下级网格得分", fontsize=10)
        ax2.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
