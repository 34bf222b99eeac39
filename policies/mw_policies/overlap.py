"""The stack rule on schedules: two windows that may run on the same instances must not be open together.

The openings come from :func:`mw_core.schedule.openings` (the same calendar as ``mw schedule``), counted from
now in UTC over the next ``days``; which targets may select the same instance is
:func:`mw_core.targets.wire_targets_may_intersect`. A window's targets are its registered window targets
plus the ``InstanceIds`` its tasks name directly. Disabled windows never open, and windows in different
regions cannot share an instance.

How the work stays bounded whatever the schedules (issue 12, item 11: two ``rate(5 minutes)`` windows of 24
hours made 15 million pairs of openings and 2.1 GB; 40 such windows never finished):

* Openings are read window by window in chunks and merged in time order, and each window keeps only the
  union of its openings (a window open around the clock is one period, not 25,920). At most
  :data:`MAX_OPENINGS` openings are read, all windows together: when a stack opens more often than that
  within ``days``, every window is compared up to the same moment only.
* One sweep over those periods, in time order, finds the pairs of windows open together. It stops early (at
  that moment) after :data:`MAX_MEETINGS` meetings of two open windows, :data:`MAX_PAIRS` distinct pairs, or
  :data:`MAX_COMPARISONS` comparisons of two target lists (a pair's targets are compared once, when it first
  meets).
* At most :data:`MAX_REPORTED` pairs are reported, in window order.

A check cut short says so in one more diagnostic, always advisory (whatever the rule's level, when the pack's
servicer runs it): which limit, up to when the windows were compared, and what to change. It never fails a plan.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from mw_core import schedule
from mw_core.errors import ScheduleError
from mw_core.schedule import Opening
from mw_core.targets import wire_targets_may_intersect

from ._props import UNKNOWN, advisory, config, contains_unknown, get, message, plain, subject, whole
from ._stack import Stack
from .target import MAINTENANCE_WINDOW_TARGET
from .task import MAINTENANCE_WINDOW_TASK
from .window import MAINTENANCE_WINDOW

OVERLAP_DEFAULTS = {"days": 90}
_TIMING = ("schedule", "scheduleTimezone", "scheduleOffset", "startDate", "endDate", "duration", "cutoff")

# Work limits. Measured on the development machine (2 shared cores): an opening costs 1-6 us to compute, a
# meeting well under 1 us, a target comparison about 8 us; so the rule stays within a few seconds and tens of
# megabytes whatever the stack. 2,000 windows opening weekly over 90 days need 26,000 openings, 760,000
# meetings, 58,000 pairs and 234,000 comparisons; two windows on rate(5 minutes) need 51,840 openings.
MAX_OPENINGS = 200_000
MAX_MEETINGS = 2_000_000
MAX_PAIRS = 100_000
MAX_COMPARISONS = 400_000
MAX_REPORTED = 1_000
# Openings are read per window in chunks that double from the first to the last size: a window that
# opens rarely costs one small call, one that opens every 5 minutes a few large ones.
_FIRST_CHUNK, _LAST_CHUNK = 16, 4096


def now() -> datetime:
    """The moment openings are counted from (tests replace it)."""
    return datetime.now(UTC)


@dataclass
class _Window:
    resource: PolicyResource
    region: str | None
    timing: dict[str, Any]
    targets: list[tuple[str, Sequence[Mapping[str, Any]]]] = field(default_factory=list)
    # The union of the openings read, as disjoint [opens, closes) periods in POSIX seconds, in time order.
    periods: list[list[float]] = field(default_factory=list)
    read: int = 0  # openings read

    def openings(self, start: datetime, horizon: datetime) -> Iterator[Opening]:
        """The openings after ``start`` that open before ``horizon``, in time order, read in chunks; none when
        the timing is invalid (window-schedule and the other window rules report why)."""
        t = self.timing
        try:
            end = horizon
            if t["endDate"] is not None:
                end = min(end, schedule.parse_timestamp(t["endDate"], "endDate"))
            # A rate() without startDate counts from `after`; later chunks move `after`, so name the anchor.
            first = t["startDate"] if t["startDate"] is not None else start.isoformat()
            if schedule.parse_timestamp(first, "startDate") >= end:
                return
            after, chunk = start, _FIRST_CHUNK
            while True:
                found = schedule.openings(
                    t["schedule"], after=after, count=chunk, timezone=t["scheduleTimezone"],
                    offset_days=t["scheduleOffset"], start_date=first, end_date=end.isoformat(),
                    duration_hours=t["duration"], cutoff_hours=t["cutoff"])
                yield from found
                if len(found) < chunk:
                    return
                after, chunk = found[-1].opens, min(chunk * 2, _LAST_CHUNK)
        except (ScheduleError, TypeError, ValueError, OverflowError):
            return

    def add(self, opens: float, closes: float) -> None:
        """Add an opening (they come in time order), merging it with the period it overlaps or touches."""
        self.read += 1
        if self.periods and opens <= self.periods[-1][1]:
            self.periods[-1][1] = max(self.periods[-1][1], closes)
        else:
            self.periods.append([opens, closes])


def _region(stack: Stack, window: PolicyResource) -> tuple[bool, str | None]:
    """(known, region): the window's own ``region``, else its provider's; None when neither says."""
    own = get(stack.props(window), "region")
    if own is UNKNOWN:
        return False, None
    if isinstance(own, str) and own:
        return True, own
    provider = getattr(window, "provider", None)
    if provider is None:
        return True, None
    value = get(plain(provider.props), "region")
    if value is UNKNOWN:
        return False, None
    return True, value if isinstance(value, str) and value else None


def _window(stack: Stack, resource: PolicyResource) -> _Window | None:
    """The window's timing, or None when it never opens or something it needs is unknown."""
    p = stack.props(resource)
    enabled = p.get("enabled")
    if enabled is False or enabled is UNKNOWN or any(p.get(key) is UNKNOWN for key in _TIMING):
        return None
    known, region = _region(stack, resource)
    expression, duration, cutoff = p.get("schedule"), whole(p.get("duration")), whole(p.get("cutoff"))
    if not known or not isinstance(expression, str) or duration is None or cutoff is None:
        return None
    timing = {"schedule": expression, "duration": duration, "cutoff": cutoff,
              "scheduleOffset": whole(p.get("scheduleOffset")),
              **{key: p.get(key) if isinstance(p.get(key), str) else None
                 for key in ("scheduleTimezone", "startDate", "endDate")}}
    return _Window(resource, region, timing)


def _collect(stack: Stack) -> list[_Window]:
    windows = {w.urn: info for w in stack.of_type(MAINTENANCE_WINDOW) if (info := _window(stack, w)) is not None}
    for target in stack.of_type(MAINTENANCE_WINDOW_TARGET):
        owner = stack.window_of(target).resource
        wire = get(stack.props(target), "targets")
        if owner is not None and owner.urn in windows and isinstance(wire, list) and not contains_unknown(wire):
            windows[owner.urn].targets.append((f"'{target.name}'", wire))
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        owner = stack.window_of(task).resource
        wire = get(stack.props(task), "targets")
        if owner is None or owner.urn not in windows or not isinstance(wire, list):
            continue
        for pair in wire:
            values = pair.get("values") if isinstance(pair, dict) else None
            if (isinstance(pair, dict) and pair.get("key") == "InstanceIds" and isinstance(values, list)
                    and values and all(isinstance(v, str) for v in values)):
                windows[owner.urn].targets.append(
                    (f"InstanceIds of task '{task.name}'", [{"key": "InstanceIds", "values": values}]))
    return [w for w in windows.values() if w.targets]


def _utc(moment: datetime | float) -> str:
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _key(wire: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(wire, sort_keys=True, default=str)


@dataclass
class _Pair:
    """Two windows open together whose targets may select the same instances."""

    opens: float  # the first period both are open
    closes: float
    shared: list[tuple[str, str]]
    periods: int = 0  # periods both are open (each a meeting in the sweep)


@dataclass
class _Cut:
    """Why and where the check stopped early."""

    at: float  # windows were compared for overlaps that start before this moment
    limit: str  # which of the MAX_* limits
    detail: str
    fix: str


def _read_openings(windows: list[_Window], start: datetime, horizon: datetime) -> _Cut | None:
    """Fill every window's periods from its openings in time order, up to :data:`MAX_OPENINGS` in all."""
    def stream(index: int) -> Iterator[tuple[float, int, float]]:
        for o in windows[index].openings(start, horizon):
            yield o.opens.timestamp(), index, o.closes.timestamp()

    merged = heapq.merge(*(stream(index) for index in range(len(windows))))
    read, last = 0, None
    for opens, index, closes in merged:
        # Over the limit, stop at the next new moment (not inside one), so every opening before it is in.
        if read >= MAX_OPENINGS and opens != last:
            busiest = max(windows, key=lambda w: w.read)
            return _Cut(opens, "openings", f"the windows open more than {MAX_OPENINGS:,} times by then, the most "
                        f"this check reads (MaintenanceWindow '{busiest.resource.name}' {busiest.read:,} times)",
                        f"lower days in the stack-window-overlap config, or open "
                        f"MaintenanceWindow '{busiest.resource.name}' less often")
        windows[index].add(opens, closes)
        read, last = read + 1, opens
    return None


def _apart_by_region(first: _Window, second: _Window) -> bool:
    """Windows in different regions cannot share an instance."""
    return first.region is not None and second.region is not None and first.region != second.region


def _compare(first: _Window, second: _Window, keys: tuple[list[str], list[str]],
             intersect: dict[tuple[str, str], bool]) -> list[tuple[str, str]]:
    """The pairs of targets, one of each window, that may select the same instance."""
    if _apart_by_region(first, second):
        return []
    shared = []
    for (a, wire_a), key_a in zip(first.targets, keys[0], strict=True):
        for (b, wire_b), key_b in zip(second.targets, keys[1], strict=True):
            if (key_a, key_b) not in intersect:
                intersect[key_a, key_b] = wire_targets_may_intersect(wire_a, wire_b)
            if intersect[key_a, key_b]:
                shared.append((a, b))
    return shared


def _sweep(windows: list[_Window]) -> tuple[dict[tuple[int, int], _Pair], _Cut | None]:
    """Pairs (i < j) of windows open together whose targets may intersect, with their first common period and
    how many periods they share; one sweep over every window's periods, in time order. Periods are half-open,
    so a window closing when another opens is not open with it."""
    events = sorted((opens, closes, index) for index, window in enumerate(windows)
                    for opens, closes in window.periods)
    keys = [[_key(wire) for _, wire in window.targets] for window in windows]
    intersect: dict[tuple[str, str], bool] = {}
    found: dict[tuple[int, int], _Pair] = {}
    apart: set[tuple[int, int]] = set()  # open together, but their targets cannot share an instance
    active: dict[int, float] = {}  # window -> when its current period closes (one period per window at a time)
    closing: list[tuple[float, int]] = []
    meetings = comparisons = 0
    for opens, closes, index in events:
        while closing and closing[0][0] <= opens:
            _, other = heapq.heappop(closing)
            active.pop(other, None)
        if meetings + len(active) > MAX_MEETINGS:
            return found, _Cut(opens, "meetings", f"windows were open together more than {MAX_MEETINGS:,} "
                               "times by then, the most this check follows", "lower days in the "
                               "stack-window-overlap config, or spread the windows' schedules")
        new = [(min(index, other), max(index, other)) for other in active]
        new = [pair for pair in new if pair not in found and pair not in apart]
        cost = sum(len(windows[i].targets) * len(windows[j].targets) for i, j in new
                   if not _apart_by_region(windows[i], windows[j]))
        if len(found) + len(apart) + len(new) > MAX_PAIRS:
            return found, _Cut(opens, "pairs", f"more than {MAX_PAIRS:,} pairs of windows were open together by "
                               "then, the most this check keeps", "lower days in the stack-window-overlap config, "
                               "or spread the windows' schedules")
        if comparisons + cost > MAX_COMPARISONS:
            return found, _Cut(opens, "comparisons", f"the targets of the windows open together took more than "
                               f"{MAX_COMPARISONS:,} comparisons by then, the most this check makes",
                               "lower days in the stack-window-overlap config, or register fewer targets per "
                               "window")
        comparisons += cost
        meetings += len(active)
        for i, j in new:
            shared = _compare(windows[i], windows[j], (keys[i], keys[j]), intersect)
            if shared:
                end = min(closes, active[j if i == index else i])
                found[i, j] = _Pair(opens, end, shared)
            else:
                apart.add((i, j))
        for other in active:
            pair = found.get((min(index, other), max(index, other)))
            if pair is not None:
                pair.periods += 1
        active[index] = closes
        heapq.heappush(closing, (closes, index))
    return found, None


def _stack_window_overlap(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    days = config(args, "days", OVERLAP_DEFAULTS["days"])
    if days < 1:
        return
    windows = _collect(Stack(args.resources))
    if len(windows) < 2:
        return  # nothing to compare: no openings to read
    start = now()
    horizon = start + timedelta(days=days)
    cut = read = _read_openings(windows, start, horizon)
    found, stopped = _sweep(windows)
    if stopped is not None and (cut is None or stopped.at < cut.at):
        cut = stopped
    within = (f"in the next {days} days" if cut is None else
              f"before {_utc(cut.at)}, where this check stopped (see its note)")
    for number, ((i, j), pair) in enumerate(sorted(found.items())):
        if number == MAX_REPORTED:
            advisory(report_violation)(message(
                "stack-window-overlap", f"{len(found) - MAX_REPORTED:,} more pair(s) of windows open at the same "
                f"time whose targets may select the same instances are not listed (at most {MAX_REPORTED:,} are)",
                "fix the pairs listed, then plan again"))
            break
        first, second = windows[i], windows[j]
        targets = ", ".join(f"{a} / {b}" for a, b in pair.shared)
        # A period still open when reading stopped may go on: openings after that were not read.
        until = _utc(pair.closes) + (" or later" if read is not None and pair.closes >= read.at else "")
        report_violation(message(
            subject("MaintenanceWindow", first.resource.name),
            f"open at the same time as MaintenanceWindow '{second.resource.name}', and their targets may "
            f"select the same instances ({targets}): both open from {_utc(pair.opens)} to {until}, "
            f"the first of {pair.periods} overlapping period(s) {within}",
            "move one window (schedule, scheduleOffset or duration) so the two are never open together, or "
            "target instances the other window cannot select (e.g. a different Patch Group tag)",
        ), first.resource.urn)
    if cut is not None:
        advisory(report_violation)(message(
            "stack-window-overlap",
            f"check cut short: windows were compared only for overlaps starting before {_utc(cut.at)}, not over "
            f"all of the next {days} days, because {cut.detail}; later overlaps were not checked",
            cut.fix))


stack_window_overlap = StackValidationPolicy(
    name="stack-window-overlap",
    description="Prohibits two maintenance windows that may target the same instances from being open at the same "
    "time.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={"days": {"type": "integer", "minimum": 1, "maximum": 3660, "default": OVERLAP_DEFAULTS["days"]}}
    ),
    validate=_stack_window_overlap,
)

POLICIES = [stack_window_overlap]
