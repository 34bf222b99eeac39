"""``mw schedule``: when each window of a stack opens, in its timezone and in UTC, and which windows overlap.

Every ``mw`` command imports this module (``mw --help`` too), so :mod:`mw_config`, which imports pulumi through
the components (about half a second), is imported only where a stack is read; matplotlib, only where a calendar
is drawn (:mod:`mw.calendar`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mw import calendar, ics
from mw.plan import find_project
from mw_core import schedule
from mw_core.errors import MWError, ScheduleError
from mw_core.limits import describe_value
from mw_core.schedule import Opening, ScheduleRangeError
from mw_core.targets import wire_targets_may_intersect

if TYPE_CHECKING:  # components import pulumi; only type checkers may see them here
    from mw_components.target import TargetArgs
    from mw_components.window import MaintenanceWindowArgs

__all__ = [
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "MAX_DAYS",
    "Overlap",
    "Place",
    "WindowSchedule",
    "find_overlaps",
    "load_windows",
    "parse_from",
    "register",
    "render",
    "stack_names",
    "stack_warnings",
    "targets_may_intersect",
    "to_json",
]

DEFAULT_COUNT = 5
# Openings listed per window, at most (--count, and what --days may hold). 10,000 rows is already
# far more than a terminal can be read in, about 0.8 MB of JSON per window, and more bars per row
# than a picture 11 inches wide has pixels; memory stays bounded because openings are generated
# lazily and never more than this (plus one, to know there are more) are kept.
MAX_COUNT = 10_000
# --days, at most: the whole calendar AWS schedules in (1970-2199); a longer range could hold no
# more openings, and it keeps --from + --days far inside datetime's range.
MAX_DAYS = (datetime(2200, 1, 1) - datetime(1970, 1, 1)).days  # 84,006
ALL_STACKS = "all"
_FROM_ALLOWED = ("ISO-8601 such as 2026-11-22T12:00:00Z, 2026-11-22T07:00:00-05:00 or 2026-11-22 "
                 "(without an offset: UTC)")
# Overlap periods listed per pair of windows before "... and N more".
_PERIODS_SHOWN = 5
_UTC_NAMES = frozenset({"UTC", "Etc/UTC"})


# ------------------------------------------------------------------------------------------------ targets


def targets_may_intersect(a: TargetArgs, b: TargetArgs) -> bool:
    """Whether two targets from stack config can select the same instance; the rule of
    :func:`wire_targets_may_intersect`, applied to what each target sends AWS."""
    return wire_targets_may_intersect(a.wire_targets(), b.wire_targets())


# ------------------------------------------------------------------------------------------------ model


@dataclass(frozen=True)
class Place:
    """Where a window is deployed: an account (its ID and ``accounts[].name``, None when the stack does not say)
    and a region (None when the stack names none: no ``aws:region`` and no ``regions``)."""

    account: str | None = None
    account_name: str | None = None
    region: str | None = None

    def meets(self, other: Place) -> bool:
        """Whether an instance may be in both places: the same account and region, where both are known."""
        return all(a is None or b is None or a == b
                   for a, b in ((self.account, other.account), (self.region, other.region)))

    def meet(self, other: Place) -> Place:
        """What is known of the place both are in (for two places that :meth:`meets`)."""
        own = self.account is not None
        return Place(self.account if own else other.account, self.account_name if own else other.account_name,
                     self.region or other.region)

    def describe(self) -> str:
        """``workloads-prod (222222222222), eu-west-1``; ``account 123456789012, us-east-1``; ``eu-west-1``."""
        if self.account_name and self.account_name != self.account:
            account = f"{self.account_name} ({self.account})"
        else:
            account = f"account {self.account}" if self.account else ""
        region = self.region or "the provider's region (no aws:region)"
        return f"{account}, {region}" if account else region


@dataclass(frozen=True)
class WindowSchedule:
    """One window of one stack in one account and region, with its openings in the range asked for.

    ``targets`` are (label, wire targets): the window's registered targets, plus the instance IDs
    its tasks name directly (``instanceIds`` with ``allowUnregisteredTargets``), which the window
    also runs on. ``place`` is the account and region it is deployed to: a window deployed to several
    has one WindowSchedule per place, with the same openings (its timezone sets them, not the region).
    ``tasks`` describe the window's tasks, one line each (``Name: TYPE document, on A, B``).
    """

    stack: str
    name: str
    schedule: str
    timezone: str
    offset_days: int | None
    duration: int
    cutoff: int
    start_date: str | None
    end_date: str | None
    enabled: bool
    openings: tuple[Opening, ...]
    targets: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...]
    place: Place = Place()
    tasks: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.stack}/{self.name}"


@dataclass(frozen=True)
class Overlap:
    """Two windows that may select the same instance and are open at the same time.

    ``targets`` are the pairs of target labels that may intersect; ``periods`` the times, in UTC,
    when both windows are open; ``places`` the accounts and regions where both are deployed (the
    periods are the same in each: a window's openings do not depend on where it is).
    """

    first: WindowSchedule
    second: WindowSchedule
    targets: tuple[tuple[str, str], ...]
    periods: tuple[tuple[datetime, datetime], ...]
    places: tuple[Place, ...] = ()


def parse_from(value: str | None, *, now: datetime | None = None) -> datetime:
    """``--from``: an ISO-8601 timestamp (no offset: UTC), or ``now`` (default: the current time, UTC)."""
    if value is None:
        return now or datetime.now(UTC)
    try:
        return schedule.parse_timestamp(value, "--from")
    except ScheduleRangeError as err:
        raise MWError(f"--from {value!r} is out of range; allowed: {err.allowed}") from None
    except ScheduleError:
        raise MWError(f"--from {value!r} is not a timestamp; allowed: {_FROM_ALLOWED}") from None


def stack_names(root: Path) -> list[str]:
    """The stacks of the project at ``root``: one per ``Pulumi.<stack>.yaml``, sorted by name."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml") if p.is_file())


def load_windows(root: Path, stacks: Iterable[str], *, start: datetime, count: int | None = None,
                 days: float | None = None) -> list[WindowSchedule]:
    """Every window of ``stacks`` in every account and region it is deployed to, validated as ``pulumi up``
    would, with its openings after ``start``.

    The places are the program's: with ``maintenance-windows:accounts``, each account's ``windows`` in each of
    its ``regions``; without, every window in each of ``regions``, else in ``aws:region``, in the account of
    ``aws:allowedAccountIds`` when it names one (else unknown). A region left to the provider is ``aws:region``.
    Windows are listed by stack, then account, region and window, as the stack config orders them.

    Exactly one of ``count`` (openings per window) and ``days`` (openings that open within that
    many days) is given; a window's openings are computed once, whatever the number of its places.
    Raises ConfigError for a stack config the program would reject, MWError
    for a stack without a ``Pulumi.<stack>.yaml`` and when a window opens more than ``MAX_COUNT``
    times within ``days`` (openings are generated lazily: at most ``MAX_COUNT + 1`` are made).
    """
    from mw_config import load_stack_file, parse_stack  # imports pulumi: see the module's docstring

    known = stack_names(root)
    out: list[WindowSchedule] = []
    for stack in stacks:
        if stack not in known:
            raise MWError(f"no stack {stack!r}: no Pulumi.{stack}.yaml in {root} "
                          f"(stacks: {', '.join(known) or 'none'})")
        raw = load_stack_file(root / f"Pulumi.{stack}.yaml")
        config = parse_stack(raw, source=f"config of stack {stack!r}", stack=stack)
        region = raw.get("aws:region") if isinstance(raw.get("aws:region"), str) else None
        by_name = {w.name: w for w in config.windows}
        if config.accounts:
            places = [(Place(a.id, a.name), a.regions, a.windows) for a in config.accounts]
        else:
            places = [(Place(config.home_account), config.regions or (None,), tuple(by_name))]
        made: dict[str, WindowSchedule] = {}
        for account, regions, names in places:
            for where in regions:
                for name in names:
                    if name not in made:
                        made[name] = _window(stack, by_name[name], start=start, count=count, days=days)
                    out.append(replace(made[name], place=replace(account, region=where or region)))
    return out


def _window(stack: str, w: MaintenanceWindowArgs, *, start: datetime, count: int | None,
            days: float | None) -> WindowSchedule:
    found: list[Opening] = []
    if w.enabled:
        # One more than can be listed, to tell "exactly MAX_COUNT" from "more"; never the rest.
        found = list(islice(schedule.iter_openings(
            w.schedule, after=start, count=count, days=days, timezone=w.schedule_timezone,
            offset_days=w.schedule_offset, start_date=w.start_date, end_date=w.end_date, duration_hours=w.duration,
            cutoff_hours=w.cutoff,
        ), MAX_COUNT + 1))
        if len(found) > MAX_COUNT:
            span = f"--days {describe_value(days)}" if days is not None else f"--count {count}"
            raise MWError(f"{span}: window {stack}/{w.name} opens more than {MAX_COUNT:,} times in that range, and "
                          f"mw schedule lists at most {MAX_COUNT:,} openings per window; use a smaller --days, "
                          "or --count")
    targets: list[tuple[str, tuple[Mapping[str, Any], ...]]] = [(t.name, tuple(t.wire_targets())) for t in w.targets]
    targets += [(f"instanceIds of task {task.name}", ({"key": "InstanceIds", "values": list(task.instance_ids)},))
                for task in w.tasks if task.instance_ids]
    return WindowSchedule(
        stack=stack, name=w.name or "", schedule=w.schedule, timezone=w.schedule_timezone or "UTC",
        offset_days=w.schedule_offset, duration=w.duration, cutoff=w.cutoff, start_date=w.start_date,
        end_date=w.end_date, enabled=w.enabled, openings=tuple(found), targets=tuple(targets),
        tasks=tuple(_task_line(task) for task in w.tasks),
    )


def _task_line(task: Any) -> str:
    """``InstallPatches: RUN_COMMAND AWS-RunPatchBaseline, on CanaryServers`` (what the task runs, and on what)."""
    runs = next((value for value in (task.document, task.function_arn, task.state_machine_arn)
                 if isinstance(value, str)), None)
    on = (f", on {', '.join(task.targets)}" if task.targets
          else f", on instances {', '.join(task.instance_ids)}" if task.instance_ids else "")
    return f"{task.name}: {task.type}" + (f" {runs}" if runs else "") + on


def find_overlaps(windows: Sequence[WindowSchedule]) -> list[Overlap]:
    """Pairs of windows (across stacks too) that may select the same instance while both are open.

    Only the openings each window carries are compared. Instances belong to one account and one region, so two
    windows are compared only where they are deployed to the same account and region; an account or region
    a stack does not name (no ``aws:allowedAccountIds``, no ``aws:region``) may be any. A pair of windows
    deployed together to several places is one :class:`Overlap` listing those places.
    """
    distinct: dict[tuple[str, str], list[WindowSchedule]] = {}
    for w in windows:
        distinct.setdefault((w.stack, w.name), []).append(w)
    groups = list(distinct.values())
    out: list[Overlap] = []
    for index, firsts in enumerate(groups):
        for seconds in groups[index + 1:]:
            places = tuple(dict.fromkeys(a.place.meet(b.place) for a in firsts for b in seconds
                                         if a.place.meets(b.place)))
            if not places:
                continue
            first, second = firsts[0], seconds[0]
            targets = tuple((ta, tb) for ta, wa in first.targets for tb, wb in second.targets
                            if wire_targets_may_intersect(wa, wb))
            if not targets:
                continue
            pairs = schedule.overlaps(list(first.openings), list(second.openings))
            if pairs:
                # In UTC: datetimes sharing a zone compare by wall time, wrong in a repeated DST hour.
                periods = tuple((max(x.opens.astimezone(UTC), y.opens.astimezone(UTC)),
                                 min(x.closes.astimezone(UTC), y.closes.astimezone(UTC))) for x, y in pairs)
                out.append(Overlap(first, second, targets, periods, places))
    return out


# ------------------------------------------------------------------------------------------------ output


def stack_warnings(windows: Sequence[WindowSchedule], stacks: Sequence[str]) -> list[str]:
    """What is valid but probably not meant: a stack without windows (in ``stacks`` order)."""
    counts = {stack: 0 for stack in stacks}
    for w in windows:
        counts[w.stack] = counts.get(w.stack, 0) + 1
    return [f"stack {stack!r} has no windows (Pulumi.{stack}.yaml sets no maintenance-windows:windows)"
            for stack in stacks if not counts[stack]]


def to_json(windows: Sequence[WindowSchedule], overlaps: Sequence[Overlap], *,
            stacks: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"windows": [...], "overlaps": [...]}``; window timestamps carry the window's UTC offset.

    One window entry per window and place (account and region), each complete with its openings; ``account``,
    ``accountName`` and ``region`` are null where the stack does not say. With ``stacks`` (the stacks read, in
    order), also ``"stacks": [{"name", "windows"}]`` (the number of windows each stack configures, whatever
    the number of places) and ``"warnings"`` (:func:`stack_warnings`).
    """
    document: dict[str, Any] = {
        "windows": [{
            "stack": w.stack, "name": w.name, **_place_json(w.place), "schedule": w.schedule,
            "timezone": w.timezone, "enabled": w.enabled,
            "openings": [{"opens": o.opens.isoformat(), "stopsStarting": o.stops_starting.isoformat(),
                          "closes": o.closes.isoformat()} for o in w.openings],
        } for w in windows],
        "overlaps": [{
            "windows": [{"stack": o.first.stack, "name": o.first.name},
                        {"stack": o.second.stack, "name": o.second.name}],
            "places": [_place_json(place) for place in o.places],
            "targets": [list(pair) for pair in o.targets],
            "periods": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in o.periods],
        } for o in overlaps],
    }
    if stacks is not None:
        document["stacks"] = [{"name": stack, "windows": len({w.name for w in windows if w.stack == stack})}
                              for stack in stacks]
        document["warnings"] = stack_warnings(windows, stacks)
    return document


def _place_json(place: Place) -> dict[str, str | None]:
    return {"account": place.account, "accountName": place.account_name, "region": place.region}


def render(windows: Sequence[WindowSchedule], overlaps: Sequence[Overlap], *, stacks: Sequence[str],
           start: datetime, count: int | None, days: float | None) -> str:
    """The text report: per stack, per window a header and a table of openings; overlaps at the end.

    A stack deployed to more than one account or region is listed under a header per account and region; a
    window's openings are tabled at its first place only (they are the same everywhere), later places point
    back to it.
    """
    if days is not None:
        span = f"openings from {_utc(start)} to {_utc(start + timedelta(days=days))}"
        none = "no openings in this range"
    else:
        span = f"next {count} opening{'s' if count != 1 else ''} after {_utc(start)}"
        none = f"no openings after {_utc(start)}"
    lines: list[str] = []
    spread: set[str] = set()  # stacks deployed to more than one place
    for stack in stacks:
        own = [w for w in windows if w.stack == stack]
        places = list(dict.fromkeys(w.place for w in own))
        names = len({w.name for w in own})
        counted = f"{names} window{'s' if names != 1 else ''}"
        if len(places) <= 1:
            lines += [f"Stack {stack}: {counted}, {span}", ""]
            for w in own:
                lines += _window_lines(w, none)
                lines.append("")
            continue
        spread.add(stack)
        lines += [f"Stack {stack}: {counted} in {len(places)} account/region pairs, {span}",
                  "A window opens at the same times in every account and region (its timezone sets them): its "
                  "openings are listed where it first appears.", ""]
        first: dict[str, Place] = {}
        for place in places:
            here = [w for w in own if w.place == place]
            lines += [f"== {place.describe()}: {len(here)} window{'s' if len(here) != 1 else ''}", ""]
            for w in here:
                if w.name in first and w.enabled and w.openings:
                    lines += [w.name, f"  same openings as in {first[w.name].describe()}"]
                else:
                    first.setdefault(w.name, place)
                    lines += _window_lines(w, none)
                lines.append("")
    label = (lambda w: w.label) if len(stacks) > 1 else (lambda w: w.name)
    scope = "the openings listed" if days is None else "this range"
    if not overlaps:
        lines.append(f"Overlaps: none (no two windows that may select the same instance are open at once in {scope})")
    else:
        lines.append(f"Overlaps in {scope} ({len(overlaps)}):")
    for o in overlaps:
        targets = ", ".join(f"{a} / {b}" for a, b in o.targets)
        where = (f" in {'; '.join(p.describe() for p in o.places)}"
                 if {o.first.stack, o.second.stack} & spread else "")
        lines.append(f"  warning: {label(o.first)} and {label(o.second)} may select the same instances "
                     f"(targets {targets}){where} and are both open {_times(len(o.periods))}:")
        lines += [f"    {_utc_span(s, e)}" for s, e in o.periods[:_PERIODS_SHOWN]]
        if len(o.periods) > _PERIODS_SHOWN:
            lines.append(f"    ... and {len(o.periods) - _PERIODS_SHOWN} more")
    return "\n".join(lines) + "\n"


def _window_lines(w: WindowSchedule, none: str) -> list[str]:
    offset = f"{w.offset_days} day{'s' if w.offset_days != 1 else ''}" if w.offset_days else "none"
    lines = [w.name, f"  schedule: {w.schedule}  timezone: {w.timezone}  offset: {offset}  "
                     f"duration: {w.duration}h  cutoff: {w.cutoff}h"]
    if w.start_date or w.end_date:
        lines.append(f"  active: from {w.start_date or 'creation'} until {w.end_date or 'no end'}")
    if not w.enabled:
        return [*lines, "  disabled (enabled: false): AWS never opens it"]
    if not w.openings:
        return [*lines, f"  {none}"]
    # A UTC window's own table is the UTC table; other zones get both, side by side.
    local = w.timezone not in _UTC_NAMES
    header = [f"opens ({w.timezone})", "stops starting", "closes"]
    if local:
        header += ["opens (UTC)", "stops starting", "closes"]
    rows = [header]
    for o in w.openings:
        row = [_moment(o.opens, zone=local), _clock(o.stops_starting, o.opens, zone=local),
               _clock(o.closes, o.opens, zone=local)]
        if local:
            opens = o.opens.astimezone(UTC)
            row += [_moment(opens, zone=False), _clock(o.stops_starting.astimezone(UTC), opens, zone=False),
                    _clock(o.closes.astimezone(UTC), opens, zone=False)]
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        text = "  ".join(cells[:3]) + ("  |  " + "  ".join(cells[3:]) if local else "")
        lines.append(f"    {text.rstrip()}")
    return lines


def _time(dt: datetime) -> str:
    # Seconds only when a schedule uses them (cron's optional seconds field).
    return f"{dt:%H:%M:%S}" if dt.second or dt.microsecond else f"{dt:%H:%M}"


def _moment(dt: datetime, *, zone: bool) -> str:
    return f"{dt:%a %Y-%m-%d} {_time(dt)}" + (f" {dt.tzname()}" if zone else "")


def _clock(dt: datetime, since: datetime, *, zone: bool) -> str:
    """A time of day after ``since``, with ``+Nd`` when it falls on a later (wall) date."""
    later = (dt.date() - since.date()).days
    return _time(dt) + (f" {dt.tzname()}" if zone else "") + (f" +{later}d" if later else "")


def _utc(dt: datetime) -> str:
    return _moment(dt.astimezone(UTC), zone=False) + " UTC"


def _utc_span(start: datetime, end: datetime) -> str:
    return f"{_moment(start, zone=False)} to {_clock(end, start, zone=False)} UTC"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


# ------------------------------------------------------------------------------------------------ command


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``mw schedule`` to the ``mw`` command."""
    parser = commands.add_parser(
        "schedule", help="when each window opens, in its timezone and UTC, and which windows overlap (offline)",
        description="List the openings of every window of a stack, in the window's timezone and in UTC, and warn "
                    "about windows that may select the same instances while open at the same time.")
    parser.add_argument("--stack", default="dev",
                        help=f"stack name: reads Pulumi.<stack>.yaml; '{ALL_STACKS}' for every stack (default: dev)")
    parser.add_argument("--from", dest="start", metavar="ISO-8601",
                        help="openings after this time, 1970-01-01T00:00:00Z to 2199-12-31T23:59:59Z; without an "
                             "offset it is UTC (default: now)")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--count", type=_bounded(int, MAX_COUNT), metavar="N",
                        help=f"the next N openings of each window, 1 to {MAX_COUNT} (default: {DEFAULT_COUNT})")
    amount.add_argument("--days", type=_bounded(float, MAX_DAYS), metavar="D",
                        help=f"every opening within D days, more than 0 and at most {MAX_DAYS} (the 1970-2199 "
                             f"calendar); at most {MAX_COUNT} openings per window")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="also draw a calendar picture, .png or .svg, in an existing directory: one row per day, "
                             "hours across (needs the viz dependency group: matplotlib)")
    parser.add_argument("--ics", type=Path, metavar="FILE",
                        help="also write the openings as an iCalendar file (.ics) for calendar programs, one event "
                             "per opening (needs the viz dependency group: icalendar)")
    parser.add_argument("--project-dir", type=Path, metavar="DIR",
                        help="the Pulumi project (default: the working directory or a parent with Pulumi.yaml)")
    parser.set_defaults(handler=_command)


def _bounded(kind: type[int] | type[float], most: int) -> Any:
    """An argparse type: a number of ``kind`` above 0 and at most ``most``."""
    def read(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not 0 < value <= most:  # also NaN and infinity
            allowed = f"1 to {most}" if kind is int else f"more than 0 and at most {most}"
            raise argparse.ArgumentTypeError(f"{text!r} is out of range (allowed: {allowed})")
        return value

    read.__name__ = kind.__name__  # argparse names the type in its messages
    return read


def _command(args: argparse.Namespace) -> int:
    root = find_project(args.project_dir)
    start = parse_from(args.start)
    # Before any work: a path that cannot be written, or a missing library, should not wait for every stack to be
    # read.
    if args.output is not None:
        problem = calendar.output_problem(args.output)
        if problem is not None:
            raise MWError(f"--output {str(args.output)!r}: {problem}")
        if args.days is not None and args.days > calendar.MAX_DAYS:
            raise MWError(f"--output: a calendar picture shows at most {calendar.MAX_DAYS} days, and --days is "
                          f"{describe_value(args.days)}; use a smaller --days (the text and --ics have no such limit)")
    if args.ics is not None:
        problem = ics.output_problem(args.ics)
        if problem is not None:
            raise MWError(f"--ics {str(args.ics)!r}: {problem}")
        ics.require()
    stacks = stack_names(root) if args.stack == ALL_STACKS else [args.stack]
    count = args.count if args.count is not None or args.days is not None else DEFAULT_COUNT
    windows = load_windows(root, stacks, start=start, count=count, days=args.days)
    overlaps = find_overlaps(windows)
    if args.output is not None:
        _draw(windows, args.output, start=start, days=args.days, labelled=len(stacks) > 1)
    if args.ics is not None:
        ics.write(windows, args.ics, start=start)
    # On stderr in both modes: stdout stays the report, or one JSON document (which also has them).
    for warning in stack_warnings(windows, stacks):
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(to_json(windows, overlaps, stacks=stacks), indent=2))
    else:
        sys.stdout.write(render(windows, overlaps, stacks=stacks, start=start, count=count, days=args.days))
    # stderr with --json, so stdout stays one JSON document.
    if args.output is not None:
        print(f"Calendar written to {args.output}", file=sys.stderr if args.json else sys.stdout)
    if args.ics is not None:
        print(f"iCalendar file written to {args.ics}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _draw(windows: Sequence[WindowSchedule], path: Path, *, start: datetime, days: float | None,
          labelled: bool) -> None:
    """The calendar picture over the range shown: ``--days``, or up to the last close listed."""
    if days is not None:
        end = start + timedelta(days=days)
    else:
        closes = [o.closes for w in windows for o in w.openings]
        end = max(closes, default=start + timedelta(days=1))
    # One row per window: its openings are the same in every account and region it is deployed to.
    distinct: dict[tuple[str, str], WindowSchedule] = {}
    for w in windows:
        distinct.setdefault((w.stack, w.name), w)
    rows = [calendar.CalendarRow(w.label if labelled else w.name, list(w.openings), w.timezone)
            for w in distinct.values()]
    calendar.render_calendar(rows, path, start=start, end=end)
