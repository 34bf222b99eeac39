"""A timeline picture of maintenance-window openings: one row per window, x axis in UTC.

matplotlib is the optional ``viz`` extra and takes about 0.4 s to import, so it is imported inside
:func:`render_calendar`; nothing else needs it. The figure is drawn on an
Agg canvas owned by this module, never through ``pyplot``, so no global backend or figure
registry is touched.

Writing: :func:`output_problem` asks the OS, before anything is drawn, whether the file can be
created, and the picture goes to a temporary file in the same directory that replaces the target
only once complete (``os.replace``), so a failure never leaves a partial file or clobbers an
existing one. Missing directories are not created: a typo in a path is an error, as in a shell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mw import _output
from mw_core.errors import MWError
from mw_core.schedule import Opening

__all__ = ["SUFFIXES", "CalendarRow", "output_problem", "render_calendar"]

SUFFIXES = (".png", ".svg")
_OPEN_COLOUR = "#2b7bba"
_CUTOFF_COLOUR = "#f0a030"
_BAR_HEIGHT = 0.6
_ROW_INCHES = 0.45
# Fixed so that the same rows give the same SVG bytes (matplotlib otherwise salts its ids).
_SVG_HASH_SALT = "mw-calendar"


@dataclass(frozen=True)
class CalendarRow:
    """One window in the picture: its label and the openings to draw."""

    label: str
    openings: list[Opening]


def output_problem(path: str | Path) -> str | None:
    """Why a calendar cannot be written to ``path`` (one of ``SUFFIXES``), or None when it can."""
    return _output.output_problem(path, SUFFIXES)


def render_calendar(rows: list[CalendarRow], path: str | Path, *, start: datetime, end: datetime) -> None:
    """Draw ``rows`` between ``start`` and ``end`` (aware datetimes) to ``path`` (.png or .svg).

    Each opening is a bar from ``opens`` to ``closes``; the cutoff part, from
    ``stops_starting`` to ``closes``, when no new task starts, is shaded differently.
    Raises MWError, before drawing, for a path :func:`output_problem` rejects, a naive or
    empty time range, or when matplotlib (the ``viz`` extra) is missing; and when writing
    fails, without leaving a partial file.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    problem = output_problem(target)
    if problem is not None:
        raise MWError(f"cannot write a calendar to {str(target)!r}: {problem}")
    if start.tzinfo is None or end.tzinfo is None:
        raise MWError("calendar start and end need a timezone (e.g. 2026-11-01T00:00:00+00:00)")
    if end <= start:
        raise MWError(f"calendar end {end.isoformat()} is not after start {start.isoformat()}")
    try:
        import matplotlib
        from matplotlib import dates as mdates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise MWError("drawing a calendar needs matplotlib; install the viz extra: pip install -e '.[viz]'") from None

    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    with matplotlib.rc_context({"svg.hashsalt": _SVG_HASH_SALT, "svg.fonttype": "path"}):
        figure = Figure(figsize=(11, 1.6 + _ROW_INCHES * max(len(rows), 1)), layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        for index, row in enumerate(rows):
            open_spans, cutoff_spans = _spans(row.openings, start_utc, end_utc, mdates.date2num)
            y = (index - _BAR_HEIGHT / 2, _BAR_HEIGHT)
            # gid names the bars in SVG output, so a reader (or a test) can find each row.
            axes.broken_barh(open_spans, y, facecolors=_OPEN_COLOUR, gid=f"window-{index}-open")
            axes.broken_barh(cutoff_spans, y, facecolors=_CUTOFF_COLOUR, hatch="//", gid=f"window-{index}-cutoff")
        axes.set_yticks(range(len(rows)), [row.label for row in rows])
        axes.set_ylim(max(len(rows), 1) - 0.5, -0.5)  # first row on top; one empty row when none
        axes.set_xlim(mdates.date2num(start_utc), mdates.date2num(end_utc))
        locator = mdates.AutoDateLocator(tz=UTC)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=UTC))
        axes.set_xlabel("UTC")
        axes.grid(axis="x", alpha=0.3)
        axes.set_title(f"Maintenance windows, {start_utc:%Y-%m-%d %H:%M} to {end_utc:%Y-%m-%d %H:%M} UTC")
        # Outside the axes, so it never hides a bar.
        figure.legend(
            handles=[
                Patch(facecolor=_OPEN_COLOUR, label="open: tasks may start"),
                Patch(facecolor=_CUTOFF_COLOUR, hatch="//", label="cutoff: no new tasks"),
            ],
            loc="outside lower center",
            ncols=2,
            fontsize="small",
        )
        # Date None keeps the output free of the time it was drawn (same input, same bytes).
        metadata = {"Date": None} if suffix == ".svg" else {}
        _output.write_atomically(target, lambda stream: figure.savefig(stream, format=suffix[1:], metadata=metadata),
                                 f"cannot write a calendar to {str(target)!r}")


def _spans(
    openings: list[Opening], start: datetime, end: datetime, date2num: Callable[[datetime], float]
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """(x, width) spans in matplotlib date units (``matplotlib.dates.date2num``) for the open and cutoff parts
    within range."""
    open_spans: list[tuple[float, float]] = []
    cutoff_spans: list[tuple[float, float]] = []
    for opening in openings:
        if opening.closes <= start or opening.opens >= end:
            continue
        opens, stops, closes = (
            date2num(moment.astimezone(UTC))
            for moment in (opening.opens, opening.stops_starting, opening.closes)
        )
        if stops > opens:
            open_spans.append((opens, stops - opens))
        if closes > stops:
            cutoff_spans.append((stops, closes - stops))
    return open_spans, cutoff_spans
