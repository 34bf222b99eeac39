"""A calendar picture of maintenance-window openings: one row per day, the hours of the day across (0-24).

Each window has its own colour (and its own lane in every day row, so windows open at the same time stay
apart), with a legend. The cutoff, the last hours of an opening when no new task starts, is the same colour,
lighter and hatched. An opening that crosses midnight continues on the next day's row.

Times are wall-clock times in one zone, named on the axis and in the title: the windows' own
``scheduleTimezone`` when they all share one, else UTC (the title then lists the zones the windows use). Days
of 23 or 25 hours (a DST change) are marked beside their row; on a 25-hour day the repeated hour is drawn twice
at the same place. A range of up to :data:`ONE_PANEL_DAYS` days is one panel; a longer one (a quarter) is one
panel per month, side by side, all 31 rows high so that rows have one height.

The bars are computed as data first (:func:`layout`: which day, from what hour to what hour, cutoff or not),
then drawn, so that what the picture shows can be tested without reading pixels.

matplotlib is in the optional ``viz`` dependency group and takes about 0.4 s to import, so it is imported
inside :func:`render_calendar`; nothing else needs it. The figure is drawn on an Agg canvas owned by this
module, never through ``pyplot``, so no global backend or figure registry is touched.

Writing: :func:`output_problem` asks the OS, before anything is drawn, whether the file can be created, and the
picture goes to a temporary file in the same directory that replaces the target only once complete
(``os.replace``), so a failure never leaves a partial file or clobbers an existing one. Missing directories are
not created: a typo in a path is an error, as in a shell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from mw import _output
from mw_core.errors import MWError
from mw_core.schedule import Opening

__all__ = ["MAX_DAYS", "ONE_PANEL_DAYS", "SUFFIXES", "Bar", "CalendarRow", "Layout", "layout", "output_problem",
           "render_calendar"]

SUFFIXES = (".png", ".svg")
# The most days one picture shows: a year (13 month panels, 4 across); more would not be readable.
MAX_DAYS = 366
# Up to this many day rows, one panel; beyond, one panel per month.
ONE_PANEL_DAYS = 35
MISSING = ("drawing a calendar needs matplotlib; install the viz dependency group: make (it installs it into "
           ".venv), or uv sync --group viz")
# Okabe-Ito: told apart with the common colour-vision deficiencies; cycled beyond eight windows.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CUTOFF_LEGEND = "cutoff: no new task starts (hatched)"
OUTSIDE_LEGEND = "outside the range listed"
_UTC_NAMES = frozenset({"UTC", "Etc/UTC"})
_OUTSIDE_COLOUR = "#d8d8d8"
_WEEKEND_COLOUR = "#f0f0f0"
_ROW_INCHES = 0.24
_PANEL_INCHES = 3.7
_MONTH_ROWS = 31
_PANELS_ACROSS = 4
# Fixed so that the same rows give the same SVG bytes (matplotlib otherwise salts its ids).
_SVG_HASH_SALT = "mw-calendar"


@dataclass(frozen=True)
class CalendarRow:
    """One window in the picture: its label (legend), its openings and its ``scheduleTimezone``."""

    label: str
    openings: list[Opening]
    timezone: str = "UTC"


@dataclass(frozen=True)
class Bar:
    """One piece of an opening within one day: window ``window`` (index into the rows) on ``day`` (in the zone
    shown), from ``start`` to ``end`` hours of the wall clock after that day's midnight (0-24); ``cutoff`` for
    the part in which no new task starts."""

    window: int
    day: date
    start: float
    end: float
    cutoff: bool


@dataclass(frozen=True)
class Layout:
    """What the picture shows, before it is drawn.

    ``zone``: the IANA zone of the hours shown; ``zone_label``: it with its abbreviations in the range
    (``America/New_York (EST/EDT)``); ``days``: one row each, in order; ``hours``: the days that do not last 24
    hours (DST changes), with their length; ``bars``; ``outside``: the parts of the first and last rows that are
    outside the range listed, as (day, start, end); ``legend``: one entry per window, then the cutoff (and
    "outside" when there is some); ``title``.
    """

    zone: str
    zone_label: str
    title: str
    days: tuple[date, ...]
    hours: dict[date, float] = field(default_factory=dict)
    bars: tuple[Bar, ...] = ()
    outside: tuple[tuple[date, float, float], ...] = ()
    legend: tuple[str, ...] = ()


def output_problem(path: str | Path) -> str | None:
    """Why a calendar cannot be written to ``path`` (one of ``SUFFIXES``), or None when it can."""
    return _output.output_problem(path, SUFFIXES)


# ------------------------------------------------------------------------------------------------ layout


def layout(rows: Sequence[CalendarRow], *, start: datetime, end: datetime) -> Layout:
    """The day rows and bars of ``rows`` for the range ``start``-``end`` (aware datetimes).

    The rows run from the day of ``start`` to the day of the later of ``end`` and the last close, in the zone
    shown, so the last opening is never cut. Raises MWError for a naive or empty range and for more than
    :data:`MAX_DAYS` days.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise MWError("calendar start and end need a timezone (e.g. 2026-11-01T00:00:00+00:00)")
    if end <= start:
        raise MWError(f"calendar end {end.isoformat()} is not after start {start.isoformat()}")
    zones = list(dict.fromkeys("UTC" if row.timezone in _UTC_NAMES else row.timezone for row in rows))
    zone = zones[0] if len(zones) == 1 else "UTC"
    tz = UTC if zone == "UTC" else ZoneInfo(zone)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    last = max([end_utc, *(o.closes.astimezone(UTC) for row in rows for o in row.openings)])
    first_day = start_utc.astimezone(tz).date()
    last_day = (last - timedelta(microseconds=1)).astimezone(tz).date()
    count = (last_day - first_day).days + 1
    if count > MAX_DAYS:
        raise MWError(f"a calendar picture shows at most {MAX_DAYS} days; this range covers {count} "
                      f"({first_day} to {last_day}); use a smaller --days or --count")
    days = tuple(first_day + timedelta(days=n) for n in range(count))
    hours = {d: length for d in days if (length := _day_hours(d, tz)) != 24}
    bars: list[Bar] = []
    for index, row in enumerate(rows):
        for opening in row.openings:
            opens, stops, closes = (m.astimezone(UTC) for m in (opening.opens, opening.stops_starting, opening.closes))
            for a, b, cutoff in ((opens, stops, False), (stops, closes, True)):
                bars += [Bar(index, d, h0, h1, cutoff) for d, h0, h1 in _pieces(a, b, tz)]
    outside = [*_pieces(_midnight(first_day, tz), start_utc, tz),
               *_pieces(end_utc, _midnight(last_day + timedelta(days=1), tz), tz)]
    names = [n for n in dict.fromkeys(datetime.combine(d, time(12), tz).tzname() or "" for d in days)
             if n not in ("", zone)]
    zone_label = f"{zone} ({'/'.join(names)})" if names else zone
    span = f"{days[0]:%a %Y-%m-%d} to {days[-1]:%a %Y-%m-%d}"
    if len(zones) > 1:
        title = f"Maintenance windows, {span}. Times in UTC: the windows use several zones ({', '.join(zones)})"
    else:
        title = f"Maintenance windows, {span}. Times in {zone_label}, the windows' zone"
    legend = [f"{row.label} ({'UTC' if row.timezone in _UTC_NAMES else row.timezone})" for row in rows]
    legend.append(CUTOFF_LEGEND)
    if outside:
        legend.append(OUTSIDE_LEGEND)
    return Layout(zone=zone, zone_label=zone_label, title=title, days=days, hours=hours, bars=tuple(bars),
                  outside=tuple(outside), legend=tuple(legend))


def _midnight(day: date, tz: tzinfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC (a midnight skipped by DST becomes the first real time)."""
    return datetime.combine(day, time(0), tz).astimezone(UTC).astimezone(tz).astimezone(UTC)


def _day_hours(day: date, tz: tzinfo) -> float:
    return (_midnight(day + timedelta(days=1), tz) - _midnight(day, tz)).total_seconds() / 3600


def _offset(moment: datetime, tz: tzinfo) -> timedelta:
    return moment.astimezone(tz).utcoffset() or timedelta(0)


def _pieces(a: datetime, b: datetime, tz: tzinfo) -> list[tuple[date, float, float]]:
    """Split ``[a, b)`` (UTC) at the midnights and UTC-offset changes of ``tz``: (day, wall hours from, to)."""
    out: list[tuple[date, float, float]] = []
    t = a
    while t < b:
        local = t.astimezone(tz)
        day = local.date()
        offset = _offset(t, tz)
        e = min(b, _midnight(day + timedelta(days=1), tz))
        if _offset(e - timedelta(microseconds=1), tz) != offset:
            # The offset changes inside: find the first instant with the new one.
            low, high = t, e - timedelta(microseconds=1)
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(middle, tz) == offset else (low, middle)
            e = high
        midnight = datetime.combine(day, time(0))
        h0 = (local.replace(tzinfo=None) - midnight).total_seconds() / 3600
        # The end in the piece's own offset: 24 at the next midnight, 02:00 (not 03:00) at a spring-forward.
        h1 = ((e.replace(tzinfo=None) + offset) - midnight).total_seconds() / 3600
        out.append((day, h0, h1))
        t = e
    return out


# ------------------------------------------------------------------------------------------------ drawing


def render_calendar(rows: Sequence[CalendarRow], path: str | Path, *, start: datetime, end: datetime) -> None:
    """Draw ``rows`` from ``start`` to ``end`` (aware datetimes; see :func:`layout`) to ``path`` (.png or .svg).

    Raises MWError, before drawing, for a path :func:`output_problem` rejects, a range :func:`layout` rejects,
    or when matplotlib (the ``viz`` dependency group) is missing; and when writing fails, without leaving a
    partial file.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    problem = output_problem(target)
    if problem is not None:
        raise MWError(f"cannot write a calendar to {str(target)!r}: {problem}")
    plan = layout(rows, start=start, end=end)
    try:
        import matplotlib
        from matplotlib import collections
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise MWError(MISSING) from None

    panels = _panels(plan.days)
    across = min(len(panels), _PANELS_ACROSS)
    down = math.ceil(len(panels) / across)
    slots = max(len(days) for days in panels) if len(panels) == 1 else _MONTH_ROWS
    legend_rows = math.ceil(len(plan.legend) / 2)
    width = 11.0 if len(panels) == 1 else _PANEL_INCHES * across + 0.8
    height = down * (_ROW_INCHES * slots + 0.8) + 0.5 + 0.22 * legend_rows
    lanes = max(len(rows), 1)
    lane = 0.84 / lanes
    with matplotlib.rc_context({"svg.hashsalt": _SVG_HASH_SALT, "svg.fonttype": "path", "font.size": 8}):
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        grid = figure.subplots(down, across, squeeze=False)
        for slot, axes in enumerate(grid.flat):
            if slot >= len(panels):
                axes.set_visible(False)
                continue
            days = panels[slot]
            row_of = {d: i for i, d in enumerate(days)}
            for i, d in enumerate(days):
                if d.weekday() >= 5:
                    axes.axhspan(i - 0.5, i + 0.5, color=_WEEKEND_COLOUR, zorder=0, linewidth=0)
                if d in plan.hours:
                    axes.text(24.3, i, f"{plan.hours[d]:g} h", va="center", fontsize=6.5, color="#a00000")
            # One collection per kind of bar (not one artist per bar): fast to draw, and one SVG group each.
            outside = [_box(h0, h1, row_of[d] - 0.5, 1) for d, h0, h1 in plan.outside if d in row_of]
            if outside:
                axes.add_collection(collections.PolyCollection(outside, facecolors=_OUTSIDE_COLOUR, linewidths=0,
                                                               zorder=1, gid="outside"))
            for index in range(len(rows)):
                colour = COLOURS[index % len(COLOURS)]
                for cutoff in (False, True):
                    boxes = [_box(b.start, b.end, row_of[b.day] - 0.42 + index * lane, lane) for b in plan.bars
                             if b.window == index and b.cutoff is cutoff and b.day in row_of]
                    if not boxes:
                        continue
                    # gid names the bars in SVG output, so a reader can find each window's.
                    axes.add_collection(collections.PolyCollection(
                        boxes, facecolors=_light(colour) if cutoff else colour, edgecolors=colour,
                        linewidths=0.6 if cutoff else 0, hatch="////" if cutoff else None, zorder=2,
                        gid=f"window-{index}-{'cutoff' if cutoff else 'open'}"))
            axes.set_ylim((len(days) if len(panels) == 1 else _MONTH_ROWS) - 0.5, -0.5)
            axes.set_yticks(range(len(days)),
                            [f"{d:%a %d %b}" if len(panels) == 1 else f"{d:%a %d}" for d in days])
            axes.set_xlim(0, 24)
            hours = range(0, 25, 3)
            axes.set_xticks(hours, [f"{h:02d}:00" if len(panels) == 1 else f"{h:02d}" for h in hours])
            axes.grid(axis="x", alpha=0.35)
            axes.tick_params(axis="y", length=0)
            axes.set_xlabel(f"time of day, {plan.zone_label}")
            if len(panels) > 1:
                axes.set_title(f"{days[0]:%B %Y}")
        figure.suptitle(plan.title, fontsize=9.5)
        handles = [Patch(facecolor=COLOURS[i % len(COLOURS)], label=label)
                   for i, label in enumerate(plan.legend[:len(rows)])]
        handles.append(Patch(facecolor="#ffffff", edgecolor="#555555", hatch="////", label=CUTOFF_LEGEND))
        if plan.outside:
            handles.append(Patch(facecolor=_OUTSIDE_COLOUR, label=OUTSIDE_LEGEND))
        # Outside the panels, so it never hides a bar.
        figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        # Date None keeps the output free of the time it was drawn (same input, same bytes).
        metadata = {"Date": None} if suffix == ".svg" else {}
        _output.write_atomically(target, lambda stream: figure.savefig(stream, format=suffix[1:], metadata=metadata,
                                                                       dpi=110),
                                 f"cannot write a calendar to {str(target)!r}")


def _panels(days: Sequence[date]) -> list[list[date]]:
    """One panel for a short range, else one per month."""
    if len(days) <= ONE_PANEL_DAYS:
        return [list(days)]
    out: list[list[date]] = []
    for d in days:
        if not out or (out[-1][0].year, out[-1][0].month) != (d.year, d.month):
            out.append([])
        out[-1].append(d)
    return out


def _box(x0: float, x1: float, y: float, height: float) -> list[tuple[float, float]]:
    return [(x0, y), (x1, y), (x1, y + height), (x0, y + height)]


def _light(colour: str) -> str:
    """``colour`` mixed 55 % with white: the cutoff's fill, under a hatch in the full colour."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * 0.55):02x}" for c in (red, green, blue))
