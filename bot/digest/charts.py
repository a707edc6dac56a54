"""The digest's charts as PNG bytes: the week's top objections against the week before, and the
mood per week. Drawn with matplotlib's Agg canvas on a Figure of their own (no pyplot, whose
global state is not thread-safe), synchronously: callers run them off any event loop.

Labels come in already translated; a hidden figure (None) is a gap, never a zero.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

THIS_WEEK, WEEK_BEFORE, MOOD = "#2563eb", "#cbd5e1", "#0f766e"
SIZE = (6.4, 3.2)  # inches; at DPI, 640 x 320 pixels: an e-mail column
DPI = 100


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, layout="tight")
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=11, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def objections_chart(
    title: str, names: Sequence[str], counts: Sequence[int], previous: Sequence[int | None], legend: tuple[str, str]
) -> bytes:
    """Horizontal bars, most frequent on top: this week, and the week before beside it."""
    figure, axes = _figure(title)
    rows = list(range(len(names)))[::-1]
    height = 0.38
    axes.barh([r + height / 2 for r in rows], counts, height, color=THIS_WEEK, label=legend[0])
    before = [math.nan if p is None else p for p in previous]
    axes.barh([r - height / 2 for r in rows], before, height, color=WEEK_BEFORE, label=legend[1])
    axes.set_yticks(rows, [_short(name) for name in names], fontsize=9)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return _png(figure)


def mood_chart(title: str, weeks: Sequence[str], averages: Sequence[float | None], note: str) -> bytes:
    """The group's average sentiment per week (-1 to 1), with the zero line; hidden weeks are gaps."""
    figure, axes = _figure(title)
    values = [math.nan if a is None else a for a in averages]
    axes.axhline(0, color="#94a3b8", linewidth=0.8)
    axes.plot(range(len(weeks)), values, marker="o", color=MOOD)
    axes.set_xticks(range(len(weeks)), weeks, fontsize=8)
    axes.set_ylim(-1, 1)
    axes.text(0, -0.95, note, fontsize=8, color="#475569")
    return _png(figure)


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
