"""The stack rule on schedules: two windows that may run on the same instances must not be open together.

The openings come from :func:`mw.schedule.openings` (the same calendar as ``mw schedule``), counted from
now in UTC over the next ``days``; which targets may select the same instance is
:func:`mw.schedule_view.wire_targets_may_intersect`. A window's targets are its registered window targets
plus the ``InstanceIds`` its tasks name directly. Disabled windows never open, and windows in different
regions cannot share an instance.

Hundreds of windows make tens of thousands of pairs, so each window's openings are computed once (in UTC), one
sweep over all openings finds the pairs that are ever open together, only those pairs get their targets
compared (each distinct pair of target lists once), and only pairs whose targets may intersect go through
:func:`mw.schedule.overlaps` for the periods the message names.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from mw import schedule
from mw.errors import ScheduleError
from mw.schedule import Opening
from mw.schedule_view import wire_targets_may_intersect

from ._props import UNKNOWN, config, contains_unknown, get, message, plain, subject, whole
from ._stack import Stack
from .target import MAINTENANCE_WINDOW_TARGET
from .task import MAINTENANCE_WINDOW_TASK
from .window import MAINTENANCE_WINDOW

OVERLAP_DEFAULTS = {"days": 90}
_TIMING = ("schedule", "scheduleTimezone", "scheduleOffset", "startDate", "endDate", "duration", "cutoff")


def now() -> datetime:
    """The moment openings are counted from (tests replace it)."""
    return datetime.now(UTC)


@dataclass
class _Window:
    resource: PolicyResource
    region: str | None
    timing: dict[str, Any]
    targets: list[tuple[str, Sequence[Mapping[str, Any]]]] = field(default_factory=list)
    _openings: list[Opening] | None = None

    def openings(self, start: datetime, days: int) -> list[Opening]:
        """The openings within ``days`` after ``start``, in UTC (cheap to compare), computed once."""
        if self._openings is None:
            t = self.timing
            try:
                found = schedule.openings(
                    t["schedule"], after=start, days=days, timezone=t["scheduleTimezone"],
                    offset_days=t["scheduleOffset"], start_date=t["startDate"], end_date=t["endDate"],
                    duration_hours=t["duration"], cutoff_hours=t["cutoff"])
            except (ScheduleError, TypeError, ValueError):
                found = []  # window-schedule and the other window rules report why
            self._openings = [Opening(o.opens.astimezone(UTC), o.stops_starting.astimezone(UTC),
                                      o.closes.astimezone(UTC)) for o in found]
        return self._openings


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


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _open_together(windows: list[_Window], start: datetime, days: int) -> list[tuple[int, int]]:
    """Index pairs (i < j) of windows open at the same time at least once: one sweep over every opening.
    Periods are half-open, so a window closing when another opens is not open with it."""
    events = sorted((o.opens.timestamp(), o.closes.timestamp(), index)
                    for index, window in enumerate(windows) for o in window.openings(start, days))
    open_now: list[tuple[float, int]] = []  # (closes, window) of the openings in progress
    pairs: set[tuple[int, int]] = set()
    for opens, closes, index in events:
        while open_now and open_now[0][0] <= opens:
            heapq.heappop(open_now)
        pairs.update((min(index, other), max(index, other)) for _, other in open_now if other != index)
        heapq.heappush(open_now, (closes, index))
    return sorted(pairs)


def _key(wire: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(wire, sort_keys=True, default=str)


def _stack_window_overlap(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    days = config(args, "days", OVERLAP_DEFAULTS["days"])
    if days < 1:
        return
    windows = _collect(Stack(args.resources))
    start = now()
    keys = [[_key(wire) for _, wire in window.targets] for window in windows]
    intersect: dict[tuple[str, str], bool] = {}
    for i, j in _open_together(windows, start, days):
        first, second = windows[i], windows[j]
        if first.region is not None and second.region is not None and first.region != second.region:
            continue
        shared = []
        for (a, wire_a), key_a in zip(first.targets, keys[i], strict=True):
            for (b, wire_b), key_b in zip(second.targets, keys[j], strict=True):
                if (key_a, key_b) not in intersect:
                    intersect[key_a, key_b] = wire_targets_may_intersect(wire_a, wire_b)
                if intersect[key_a, key_b]:
                    shared.append((a, b))
        if not shared:
            continue
        pairs = schedule.overlaps(first.openings(start, days), second.openings(start, days))
        if not pairs:
            continue
        periods = sorted((max(x.opens, y.opens), min(x.closes, y.closes)) for x, y in pairs)
        opens, closes = periods[0]
        targets = ", ".join(f"{a} / {b}" for a, b in shared)
        report_violation(message(
            subject("MaintenanceWindow", first.resource.name),
            f"open at the same time as MaintenanceWindow '{second.resource.name}', and their targets may "
            f"select the same instances ({targets}): both open from {_utc(opens)} to {_utc(closes)}, the first "
            f"of {len(periods)} overlapping period(s) in the next {days} days",
            "move one window (schedule, scheduleOffset or duration) so the two are never open together, or "
            "target instances the other window cannot select (e.g. a different Patch Group tag)",
        ), first.resource.urn)


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
