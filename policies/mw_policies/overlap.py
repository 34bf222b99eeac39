"""The stack rule on schedules: two windows that may run on the same instances must not be open together.

The openings come from :func:`mw_core.schedule.iter_openings` (the same calendar as ``mw schedule``), counted
from now in UTC over the next ``days``; which targets may select the same instance is
:func:`mw_core.targets.conditions_may_intersect`, on each target read once by
:func:`~mw_core.targets.target_conditions`. A window's targets are its registered window targets plus the
``InstanceIds`` its tasks name directly. Disabled windows never open, and windows in different regions cannot
share an instance, nor can windows in different accounts (each window's account is its provider's, issue 16).

How the work stays bounded whatever the schedules (issue 12, item 11: two ``rate(5 minutes)`` windows of 24
hours made 15 million pairs of openings and 2.1 GB; 40 such windows never finished):

* Openings are read lazily, one iterator per window, and merged in time order, and each window keeps only the
  union of its openings (a window open around the clock is one period, not 25,920). At most
  :data:`MAX_OPENINGS` openings are read, all windows together: when a stack opens more often than that
  within ``days``, every window is compared up to the same moment only.
* Each target is read once into its conditions (key -> values it allows); a window's targets with equal
  conditions are compared as one, and windows with the same targets once for all (100 windows whose 100
  targets each select the same 100 tag sets: 10,000 comparisons, not 49.5 million). Two windows are set apart
  at once when a key every target of both constrains has no value in common (each window its own
  ``Workload``, say): one comparison, not one per pair of targets.
* One sweep over those periods, in time order, finds the pairs of windows open together. It stops early (at
  that moment) after :data:`MAX_MEETINGS` meetings of two open windows, :data:`MAX_PAIRS` distinct pairs, or
  :data:`MAX_COMPARISONS` comparisons of targets (a pair's targets are compared once, when it first meets).
* At most :data:`MAX_REPORTED` pairs are reported, in window order, and a message names at most
  :data:`MAX_LISTED` pairs of targets (then how many more).

A check cut short says so in one more diagnostic, always advisory (whatever the rule's level, when the pack's
servicer runs it): which limit, up to when the windows were compared, and what to change. It never fails a plan.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
)

from mw_core import schedule
from mw_core.errors import ScheduleError
from mw_core.schedule import Opening
from mw_core.targets import conditions_may_intersect, target_conditions
from mw_core.tokens import MAINTENANCE_WINDOW, MAINTENANCE_WINDOW_TARGET, MAINTENANCE_WINDOW_TASK

from ._props import UNKNOWN, advisory, config, contains_unknown, get, message, plain, subject, whole
from ._stack import Stack
from ._typed import StackPolicy

OVERLAP_DEFAULTS = {"days": 90}
_TIMING = ("schedule", "scheduleTimezone", "scheduleOffset", "startDate", "endDate", "duration", "cutoff")

# Work limits. Measured on the development machine (2 shared cores): an opening costs 1-6 us to compute, a
# meeting well under 1 us, a comparison of two targets already read 2-3 us (mw_core.targets.conditions_may_intersect;
# 8 us when each comparison read both targets again); so the rule stays within a few seconds and tens of megabytes
# whatever the stack. 2,000 windows opening weekly over 90 days need 26,000 openings, 760,000 meetings and 58,000
# pairs; with 5 targets each (10,000 targets), each window its own Workload, 58,000 comparisons (1,450,000 when
# every pair of targets was compared); two windows on rate(5 minutes) need 51,840 openings.
MAX_OPENINGS = 200_000
MAX_MEETINGS = 2_000_000
MAX_PAIRS = 100_000
MAX_COMPARISONS = 1_000_000
MAX_REPORTED = 1_000
MAX_LISTED = 20  # pairs of targets named in one message


def now() -> datetime:
    """The moment openings are counted from (tests replace it)."""
    return datetime.now(UTC)


@dataclass
class _Window:
    resource: PolicyResource
    region: str | None
    timing: dict[str, Any]
    # (label, conditions id) of each target, in the order found; ids index _Targets.conditions.
    targets: list[tuple[str, int]] = field(default_factory=list)
    # Distinct conditions id -> how many of the window's targets have them, in the order first found.
    counts: dict[int, int] = field(default_factory=dict)
    # Its set of distinct conditions, as a number (_Targets.summarize), and the keys all its targets constrain,
    # with the values any of them allows.
    signature: int = -1
    common: dict[str, frozenset[str]] = field(default_factory=dict)
    # The union of the openings read, as disjoint [opens, closes) periods in POSIX seconds, in time order.
    periods: list[list[float]] = field(default_factory=list)
    read: int = 0  # openings read
    # The account(s) its provider deploys into (None: not known).
    accounts: frozenset[str] | None = None

    def openings(self, start: datetime, horizon: datetime) -> Iterator[Opening]:
        """The openings after ``start`` that open before ``horizon``, in time order, computed as they are asked for;
        none when the timing is invalid (window-schedule and the other window rules report why)."""
        t = self.timing
        try:
            end = horizon
            if t["endDate"] is not None:
                end = min(end, schedule.parse_timestamp(t["endDate"], "endDate"))
            # A rate() without startDate counts from `start`.
            first = t["startDate"] if t["startDate"] is not None else start.isoformat()
            if schedule.parse_timestamp(first, "startDate") >= end:
                return
            yield from schedule.iter_openings(
                t["schedule"], after=start, timezone=t["scheduleTimezone"], offset_days=t["scheduleOffset"],
                start_date=first, end_date=end.isoformat(), duration_hours=t["duration"], cutoff_hours=t["cutoff"])
        except (ScheduleError, TypeError, ValueError, OverflowError):
            return

    def add(self, opens: float, closes: float) -> None:
        """Add an opening (they come in time order), merging it with the period it overlaps or touches."""
        self.read += 1
        if self.periods and opens <= self.periods[-1][1]:
            self.periods[-1][1] = max(self.periods[-1][1], closes)
        else:
            self.periods.append([opens, closes])


class _Targets:
    """Every target of the stack's windows, read once: equal conditions share one id, windows with the same set of
    distinct conditions share one signature, and each pair of signatures is compared at most once."""

    def __init__(self) -> None:
        self.ids: dict[frozenset[tuple[str, frozenset[str]]], int] = {}
        self.conditions: list[dict[str, frozenset[str]]] = []
        self._signatures: dict[frozenset[int], int] = {}
        self._compared: dict[tuple[int, int], dict[int, set[int]]] = {}

    def add(self, window: _Window, label: str, wire: Any) -> None:
        conditions = target_conditions(wire)
        key = frozenset(conditions.items())
        number = self.ids.get(key)
        if number is None:
            number = self.ids[key] = len(self.conditions)
            self.conditions.append(conditions)
        window.targets.append((label, number))
        window.counts[number] = window.counts.get(number, 0) + 1

    def summarize(self, window: _Window) -> None:
        """Fill ``window.signature`` (its set of distinct conditions) and ``window.common``: the keys every target of
        the window constrains, each with the values any of them allows. Two windows whose common keys share no
        value for one key cannot share an instance (each pair of their targets has that key, with no common
        value), which one set operation shows."""
        window.signature = self._signatures.setdefault(frozenset(window.counts), len(self._signatures))
        common: dict[str, frozenset[str]] | None = None
        for number in window.counts:
            conditions = self.conditions[number]
            if common is None:
                common = dict(conditions)
            else:
                common = {key: values | conditions[key] for key, values in common.items() if key in conditions}
        window.common = common or {}

    def compared(self, first: _Window, second: _Window) -> bool:
        """Whether windows with these two windows' signatures were compared already."""
        return (first.signature, second.signature) in self._compared

    def compare(self, first: _Window, second: _Window) -> dict[int, set[int]]:
        """The distinct targets, one of each window, that may select the same instance (by conditions id)."""
        key = (first.signature, second.signature)
        shared = self._compared.get(key)
        if shared is None:
            shared = {}
            for a in first.counts:
                left = self.conditions[a]
                met = {b for b in second.counts if conditions_may_intersect(left, self.conditions[b])}
                if met:
                    shared[a] = met
            self._compared[key] = shared
        return shared


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
    window = _Window(resource, region, timing)
    window.accounts = stack.accounts().of(resource)
    return window


def _collect(stack: Stack, targets: _Targets) -> list[_Window]:
    windows = {w.urn: info for w in stack.of_type(MAINTENANCE_WINDOW) if (info := _window(stack, w)) is not None}
    for target in stack.of_type(MAINTENANCE_WINDOW_TARGET):
        owner = stack.window_of(target).resource
        wire = get(stack.props(target), "targets")
        if owner is not None and owner.urn in windows and isinstance(wire, list) and not contains_unknown(wire):
            targets.add(windows[owner.urn], f"'{target.name}'", wire)
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        owner = stack.window_of(task).resource
        wire = get(stack.props(task), "targets")
        if owner is None or owner.urn not in windows or not isinstance(wire, list):
            continue
        for pair in wire:
            values = pair.get("values") if isinstance(pair, dict) else None
            if (isinstance(pair, dict) and pair.get("key") == "InstanceIds" and isinstance(values, list)
                    and values and all(isinstance(v, str) for v in values)):
                targets.add(windows[owner.urn], f"InstanceIds of task '{task.name}'",
                            [{"key": "InstanceIds", "values": values}])
    for window in windows.values():
        targets.summarize(window)
    return [w for w in windows.values() if w.targets]


def _utc(moment: datetime | float) -> str:
    if isinstance(moment, (int, float)):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Pair:
    """Two windows open together whose targets may select the same instances."""

    opens: float  # the first period both are open
    closes: float
    shared: dict[int, set[int]]  # conditions id of the first window -> those of the second it may meet
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
    """Windows in different regions, or in different accounts (a managed node is registered in one account and
    region), cannot share an instance."""
    if first.accounts is not None and second.accounts is not None and first.accounts.isdisjoint(second.accounts):
        return True
    return first.region is not None and second.region is not None and first.region != second.region


def _apart_by_targets(first: _Window, second: _Window) -> bool:
    """Whether a key all targets of both windows constrain has no value in common (see _Targets.summarize)."""
    return any(first.common[key].isdisjoint(second.common[key]) for key in first.common.keys() & second.common.keys())


def _cost(first: _Window, second: _Window, targets: _Targets) -> tuple[int, bool]:
    """(comparisons, whether their targets must be compared) for two windows: none when their regions differ, one
    when their common keys set them apart or windows with the same targets were compared already, else one for
    each pair of their distinct targets."""
    if _apart_by_region(first, second):
        return 0, False
    if _apart_by_targets(first, second):
        return 1, False
    if targets.compared(first, second):
        return 1, True
    return len(first.counts) * len(second.counts), True


def _listed(first: _Window, second: _Window, shared: dict[int, set[int]]) -> str:
    """The pairs of targets that may meet, in target order: at most :data:`MAX_LISTED`, then how many more."""
    total = sum(first.counts[a] * second.counts[b] for a, met in shared.items() for b in met)
    names: list[str] = []
    for a_label, a in first.targets:
        met = shared.get(a)
        if not met:
            continue
        # Each target scanned here adds at least one name, so at most MAX_LISTED scans of the second window.
        for b_label, b in second.targets:
            if b in met:
                names.append(f"{a_label} / {b_label}")
                if len(names) == MAX_LISTED:
                    break
        if len(names) == MAX_LISTED:
            break
    more = f", and {total - len(names):,} more" if total > len(names) else ""
    return ", ".join(names) + more


def _sweep(windows: list[_Window], targets: _Targets) -> tuple[dict[tuple[int, int], _Pair], _Cut | None]:
    """Pairs (i < j) of windows open together whose targets may intersect, with their first common period and
    how many periods they share; one sweep over every window's periods, in time order. Periods are half-open,
    so a window closing when another opens is not open with it."""
    events = sorted((opens, closes, index) for index, window in enumerate(windows)
                    for opens, closes in window.periods)
    # Every pair met so far: its _Pair, or None when their targets cannot share an instance.
    known: dict[tuple[int, int], _Pair | None] = {}
    active: dict[int, float] = {}  # window -> when its current period closes (one period per window at a time)
    closing: list[tuple[float, int]] = []
    meetings = comparisons = 0
    for opens, closes, index in events:
        while closing and closing[0][0] <= opens:
            _, other = heapq.heappop(closing)
            active.pop(other, None)
        cut = None
        if meetings + len(active) > MAX_MEETINGS:
            cut = _Cut(opens, "meetings", f"windows were open together more than {MAX_MEETINGS:,} times by then, the "
                       "most this check follows", "lower days in the stack-window-overlap config, or spread the "
                       "windows' schedules")
        pairs = [(other, index) if other < index else (index, other) for other in active]
        new = [pair for pair in pairs if pair not in known]
        costs = [_cost(windows[i], windows[j], targets) for i, j in new] if cut is None else []
        cost = sum(c for c, _ in costs)
        if cut is None and len(known) + len(new) > MAX_PAIRS:
            cut = _Cut(opens, "pairs", f"more than {MAX_PAIRS:,} pairs of windows were open together by then, the "
                       "most this check keeps", "lower days in the stack-window-overlap config, or spread the "
                       "windows' schedules")
        if cut is None and comparisons + cost > MAX_COMPARISONS:
            cut = _Cut(opens, "comparisons", f"the targets of the windows open together took more than "
                       f"{MAX_COMPARISONS:,} comparisons by then, the most this check makes", "lower days in the "
                       "stack-window-overlap config, or register fewer targets per window")
        if cut is not None:
            return _found(known), cut
        comparisons += cost
        meetings += len(active)
        for (i, j), (_, one_by_one) in zip(new, costs, strict=True):
            shared = targets.compare(windows[i], windows[j]) if one_by_one else None
            known[i, j] = _Pair(opens, min(closes, active[j if i == index else i]), shared) if shared else None
        for key in pairs:
            pair = known[key]
            if pair is not None:
                pair.periods += 1
        active[index] = closes
        heapq.heappush(closing, (closes, index))
    return _found(known), None


def _found(known: dict[tuple[int, int], _Pair | None]) -> dict[tuple[int, int], _Pair]:
    return {key: pair for key, pair in known.items() if pair is not None}


def _stack_window_overlap(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    days = config(args, "days", OVERLAP_DEFAULTS["days"])
    if days < 1:
        return
    targets = _Targets()
    windows = _collect(Stack(args.resources), targets)
    if len(windows) < 2:
        return  # nothing to compare: no openings to read
    start = now()
    horizon = start + timedelta(days=days)
    cut = read = _read_openings(windows, start, horizon)
    found, stopped = _sweep(windows, targets)
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
        # A period still open when reading stopped may go on: openings after that were not read.
        until = _utc(pair.closes) + (" or later" if read is not None and pair.closes >= read.at else "")
        listed = _listed(first, second, pair.shared)
        report_violation(message(
            subject("MaintenanceWindow", first.resource.name),
            f"open at the same time as MaintenanceWindow '{second.resource.name}', and their targets may "
            f"select the same instances ({listed}): both open from {_utc(pair.opens)} to {until}, "
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


stack_window_overlap = StackPolicy(
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
