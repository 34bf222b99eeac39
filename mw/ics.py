"""``mw schedule --ics FILE``: the openings as an iCalendar file (RFC 5545) that calendar programs import.

One VEVENT per opening and place (account and region): DTSTART when it opens, DTEND when it closes, in the
window's ``scheduleTimezone`` (``TZID`` plus a VTIMEZONE made from zoneinfo for every zone used), or in UTC
(``...Z``) for a window without one. SUMMARY names the window, its stack, account and region; DESCRIPTION gives
the cutoff, the targets and the tasks.

The file depends on its input only, so two runs over the same stacks and ``--from`` write the same bytes:

- UID is a UUID (RFC 7986 section 5.3 recommends that form) made with ``uuid5`` from the stack, account,
  region, window and the opening's start in UTC. The same opening keeps its UID in every run, whatever
  ``--from``, ``--days`` or ``--count``, so a calendar program that matches events by UID updates it on
  re-import instead of adding a copy.
- DTSTAMP is required in every VEVENT (RFC 5545 section 3.6.1). Without a METHOD it is "the date and time that
  the information associated with the calendar component was last revised" (section 3.8.7.2); this module
  uses the start of the range asked for (``--from``, in UTC), not the clock, so the output stays the same for
  the same input. A later ``--from`` gives a later stamp, i.e. a newer revision of the same events.

icalendar is the optional ``viz`` dependency group; it is imported only when a file is written
(:func:`require`), so ``mw --help`` does not load it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mw import _output
from mw_core.errors import MWError
from mw_core.schedule import Opening

if TYPE_CHECKING:
    from mw.schedule import WindowSchedule

__all__ = ["MISSING", "PRODID", "SUFFIXES", "UID_NAMESPACE", "build", "output_problem", "require", "uid",
           "write"]

SUFFIXES = (".ics",)
PRODID = "-//maintenance-windows//mw schedule//EN"
# Fixed, so that UIDs are the same on every machine and in every run: uuid5(NAMESPACE_URL, "mw schedule --ics").
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "mw schedule --ics")
MISSING = ("writing an iCalendar file needs icalendar; install the viz dependency group: make (it installs it "
           "into .venv), or uv sync --group viz")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC"})


def output_problem(path: str | Path) -> str | None:
    """Why an iCalendar file cannot be written to ``path`` (``.ics``), or None when it can."""
    return _output.output_problem(path, SUFFIXES)


def require() -> None:
    """Raise MWError naming the group to install when icalendar is missing."""
    try:
        import icalendar  # noqa: F401
    except ImportError:
        raise MWError(MISSING) from None


def uid(w: WindowSchedule, opening: Opening) -> str:
    """The opening's UID: the same for the same stack, account, region, window and start (in UTC)."""
    place = w.place
    key = "/".join((w.stack, place.account or "-", place.region or "-", w.name,
                    f"{opening.opens.astimezone(UTC):%Y%m%dT%H%M%SZ}"))
    return str(uuid.uuid5(UID_NAMESPACE, key))


def build(windows: Sequence[WindowSchedule], *, start: datetime) -> bytes:
    """The iCalendar file of every opening of ``windows`` (one event per window, place and opening).

    ``start`` is the start of the range asked for: every event's DTSTAMP (see the module's docstring).
    """
    require()
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Maintenance windows: " + ", ".join(dict.fromkeys(w.stack for w in windows)))
    stamp = start.astimezone(UTC)
    days: list[date] = []
    for w in windows:
        local = w.timezone not in _UTC_NAMES
        for opening in w.openings:
            event = Event()
            event.add("uid", uid(w, opening))
            event.add("dtstamp", stamp)
            event.add("dtstart", opening.opens if local else opening.opens.astimezone(UTC))
            event.add("dtend", opening.closes if local else opening.closes.astimezone(UTC))
            event.add("summary", summary(w))
            event.add("description", description(w, opening))
            event.add("transp", "OPAQUE")
            calendar.add_component(event)
            days += [opening.opens.date(), opening.closes.date()]
    if days:
        # A VTIMEZONE for each TZID used, from zoneinfo, over the whole years of the events: a few lines per zone
        # and year, and the same definition in every file that covers those years.
        calendar.add_missing_timezones(first_date=date(min(days).year, 1, 1),
                                       last_date=date(max(days).year + 1, 1, 1))
    return calendar.to_ical()


def write(windows: Sequence[WindowSchedule], path: str | Path, *, start: datetime) -> None:
    """Write :func:`build` to ``path`` atomically; MWError (with the path and why) when it cannot be written."""
    target = Path(path)
    problem = output_problem(target)
    if problem is not None:
        raise MWError(f"cannot write an iCalendar file to {str(target)!r}: {problem}")
    data = build(windows, start=start)
    _output.write_atomically(target, lambda stream: stream.write(data),
                             f"cannot write an iCalendar file to {str(target)!r}")


def summary(w: WindowSchedule) -> str:
    """``PatchProdCanary (prod, account 123456789012, us-east-1)``."""
    return f"{w.name} ({w.stack}, {w.place.describe()})"


def description(w: WindowSchedule, opening: Opening) -> str:
    """The cutoff, the schedule, the targets and the tasks, one item a line."""
    local = w.timezone not in _UTC_NAMES
    lines = [
        f"Maintenance window {w.name} of stack {w.stack}, {w.place.describe()}.",
        f"Opens: {_moment(opening.opens, local)}",
        f"Cutoff: no new task starts from {_moment(opening.stops_starting, local)} "
        f"({w.cutoff} h before the close)" if w.cutoff else "Cutoff: none (tasks may start until the close)",
        f"Closes: {_moment(opening.closes, local)}",
        f"Schedule: {w.schedule} in {w.timezone}" + (f", offset {w.offset_days} days" if w.offset_days else "")
        + f", {w.duration} h",
        "Targets:",
        *([f"- {_target(label, wires)}" for label, wires in w.targets] or ["- none"]),
        "Tasks:",
        *([f"- {task}" for task in w.tasks] or ["- none"]),
    ]
    return "\n".join(lines)


def _moment(dt: datetime, local: bool) -> str:
    utc = dt.astimezone(UTC)
    if not local:
        return f"{utc:%a %Y-%m-%d %H:%M} UTC"
    return f"{dt:%a %Y-%m-%d %H:%M} {dt.tzname()} ({utc:%Y-%m-%d %H:%M} UTC)"


def _target(label: str, wires: Sequence[Any]) -> str:
    """``CanaryServers: Key=tag:Patch Group,Values=canary`` (as the AWS CLI writes targets)."""
    parts = [f"Key={pair.get('key')},Values={','.join(str(v) for v in pair.get('values') or ())}"
             for pair in wires if isinstance(pair, Mapping)]
    return f"{label}: {'; '.join(parts)}" if parts else label
