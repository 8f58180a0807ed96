"""How every chart is drawn and saved: fonts (Latin and CJK), resolution, reproducible files.

Chinese labels need a CJK font. The package ``mplfonts`` (a PyPI dependency, so ``make run``
installs it with everything else) ships Noto Sans CJK SC (SIL Open Font License); it is
registered with matplotlib here, by file, without importing that package. Latin text stays in
DejaVu Sans, matplotlib's own font, and falls back to Noto Sans CJK for the characters DejaVu
lacks (matplotlib's font fallback), so a 万 in an English legend is drawn, not a missing glyph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, wraps
from importlib import metadata
from pathlib import Path

from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure

__all__ = ["CJK_FONT_FILE", "DPI", "chart_style", "cjk_font", "cjk_font_path", "save", "styled"]

#: the CJK font file inside the mplfonts distribution
CJK_FONT_FILE = "mplfonts/fonts/NotoSansCJKsc-Regular.otf"
#: resolution of every saved PNG chart [dots per inch]: print quality
DPI = 200


def cjk_font_path() -> Path:
    """The CJK font file (OpenType, CFF outlines).

    Raises ``FileNotFoundError`` naming the missing file when the font is not installed.
    """
    path = Path(str(metadata.distribution("mplfonts").locate_file(CJK_FONT_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the charts' CJK font is missing (pip install mplfonts)")
    return path


@cache
def cjk_font() -> str:
    """The family name of the CJK font, registered with matplotlib on first use."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@contextmanager
def chart_style() -> Iterator[None]:
    """Draw (and save) inside this: Latin font with CJK fallback, a fixed SVG id salt."""
    rc = {
        "font.family": ["DejaVu Sans", cjk_font()],
        "axes.unicode_minus": False,  # the CJK font has no U+2212 minus sign
        "svg.hashsalt": "mfgplan",  # the same figure gives the same SVG file
    }
    with rc_context(rc):
        yield


def styled[**P, F](draw: Callable[P, F]) -> Callable[P, F]:
    """A chart function drawn inside :func:`chart_style` (fonts are fixed when text is made)."""

    @wraps(draw)
    def inside(*args: P.args, **kwargs: P.kwargs) -> F:
        with chart_style():
            return draw(*args, **kwargs)

    return inside


def save(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG at :data:`DPI` and, beside it, as SVG (its folder made).

    The PNG is for screens and slides, the SVG (vector, text as paths so it shows the same
    everywhere) for a printed report. Returns the PNG's path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with chart_style():
        fig.savefig(path, dpi=DPI)
        fig.savefig(path.with_suffix(".svg"), metadata={"Date": None})
    return path
