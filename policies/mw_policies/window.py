"""Rules for ``aws:ssm/maintenanceWindow:MaintenanceWindow`` (CreateMaintenanceWindow)."""

from __future__ import annotations

from datetime import UTC, datetime

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
)

from mw_core import limits, schedule
from mw_core.errors import ScheduleError
from mw_core.tokens import MAINTENANCE_WINDOW

from ._props import UNKNOWN, config, get, limit_problem, message, props, report_limits, show, subject, whole
from ._typed import ResourceTypePolicy

_FIX_SCHEDULE = (
    "write cron(minutes hours day-of-month month day-of-week year), rate(N units) or "
    "at(yyyy-mm-ddThh:mm:ss), as in the Systems Manager reference for cron and rate expressions"
)


def _who(args: ResourceValidationArgs) -> str:
    return subject("MaintenanceWindow", args.name)


def _window_duration(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    duration = props(args).get("duration")
    if duration is None:
        report_violation(message(_who(args), "duration is not set (AWS requires it)",
                                 "set duration to a whole number of hours from 1 to 24"))
        return
    problem = limit_problem(limits.WINDOW_DURATION_HOURS, "duration", duration)
    if problem:
        report_violation(message(_who(args), problem, "set duration to a whole number of hours from 1 to 24"))


window_duration = ResourceTypePolicy(
    name="window-duration",
    description="Requires a maintenance window duration of 1 to 24 whole hours.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_duration,
)


def _window_cutoff(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    cutoff, duration = p.get("cutoff"), p.get("duration")
    if cutoff is None:
        report_violation(message(_who(args), "cutoff is not set (AWS requires it)",
                                 "set cutoff to the hours before the end when no new task may start, e.g. 1"))
        return
    problem = limit_problem(limits.WINDOW_CUTOFF, "cutoff", cutoff)
    if problem:
        report_violation(message(_who(args), problem, "set cutoff to a whole number of hours from 0 to 23"))
        return
    hours, length = whole(cutoff), whole(duration)
    if hours is not None and length is not None and hours >= length:
        report_violation(message(
            _who(args),
            f"cutoff {hours} is not less than duration {length} (no task could ever start)",
            f"set cutoff below {length}, or lengthen the window",
        ))


window_cutoff = ResourceTypePolicy(
    name="window-cutoff",
    description="Requires a maintenance window cutoff of 0 to 23 whole hours, less than its duration.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_cutoff,
)


# One hour is AWS's own minimum; stacks that need more raise these in their policy config.
TASK_TIME_DEFAULTS = {"minDurationHours": 1, "minTaskHours": 1}


def _window_task_time(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    min_duration = config(args, "minDurationHours", TASK_TIME_DEFAULTS["minDurationHours"])
    min_task = config(args, "minTaskHours", TASK_TIME_DEFAULTS["minTaskHours"])
    duration, cutoff = whole(p.get("duration")), whole(p.get("cutoff"))
    if duration is not None and duration < min_duration:
        report_violation(message(
            _who(args),
            f"duration {duration} is shorter than the {min_duration} hour(s) this stack requires",
            f"set duration to at least {min_duration}",
        ))
    if duration is not None and cutoff is not None and cutoff < duration and duration - cutoff < min_task:
        report_violation(message(
            _who(args),
            f"duration {duration} minus cutoff {cutoff} leaves {duration - cutoff} hour(s) to start tasks; "
            f"this stack requires at least {min_task}",
            f"lengthen the window or lower cutoff so that duration - cutoff >= {min_task}",
        ))


window_task_time = ResourceTypePolicy(
    name="window-task-time",
    description="Requires a maintenance window long enough, and a cutoff early enough, for its tasks.",
    resource_types=[MAINTENANCE_WINDOW],
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "minDurationHours": {"type": "integer", "minimum": 1, "maximum": 24,
                                 "default": TASK_TIME_DEFAULTS["minDurationHours"]},
            "minTaskHours": {"type": "integer", "minimum": 1, "maximum": 24,
                             "default": TASK_TIME_DEFAULTS["minTaskHours"]},
        }
    ),
    validate=_window_task_time,
)


def _window_schedule(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    expression = props(args).get("schedule")
    if expression is UNKNOWN:
        return
    if expression is None:
        report_violation(message(_who(args), "schedule is not set (AWS requires it)", _FIX_SCHEDULE))
        return
    problem = limit_problem(limits.WINDOW_SCHEDULE, "schedule", expression)
    if problem:
        report_violation(message(_who(args), problem, _FIX_SCHEDULE))
        return
    try:
        schedule.parse(expression)
    except ScheduleError as error:
        report_violation(message(
            _who(args),
            f"schedule {show(expression)}: {error.field} {error.value!r} is not valid (allowed: {error.allowed})",
            _FIX_SCHEDULE,
        ))


window_schedule = ResourceTypePolicy(
    name="window-schedule",
    description="Requires a maintenance window schedule that is a valid AWS cron, rate or at expression.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_schedule,
)


def _window_schedule_offset(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    offset, expression = p.get("scheduleOffset"), p.get("schedule")
    if offset is None or offset is UNKNOWN:
        return
    problem = limit_problem(limits.WINDOW_OFFSET, "scheduleOffset", offset)
    if problem:
        report_violation(message(_who(args), problem, "set scheduleOffset to a whole number of days from 1 to 6"))
    if isinstance(expression, str) and not expression.strip().startswith("cron("):
        report_violation(message(
            _who(args),
            f"scheduleOffset {show(offset)} is set with schedule {show(expression)}, and AWS accepts an offset "
            "only with a cron expression",
            "remove scheduleOffset, or use a cron(...) schedule",
        ))


window_schedule_offset = ResourceTypePolicy(
    name="window-schedule-offset",
    description="Requires a schedule offset of 1 to 6 days, and only with a cron schedule.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_schedule_offset,
)


def _window_timezone(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    zone = props(args).get("scheduleTimezone")
    if zone is None or zone is UNKNOWN:
        return
    if not isinstance(zone, str):
        report_violation(message(_who(args), f"scheduleTimezone: expected a string, got {show(zone)}",
                                 "set scheduleTimezone to an IANA time zone name such as Europe/Paris"))
        return
    try:
        schedule.validate_timezone(zone)
    except ScheduleError as error:
        report_violation(message(
            _who(args),
            f"scheduleTimezone {show(zone)} is not valid (allowed: {error.allowed})",
            "set scheduleTimezone to an IANA time zone name such as America/Los_Angeles or Etc/UTC",
        ))


window_timezone = ResourceTypePolicy(
    name="window-timezone",
    description="Requires a maintenance window time zone that is an IANA time zone name.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_timezone,
)


def _timestamp(value: object, field: str) -> tuple[datetime | None, ScheduleError | None]:
    try:
        moment = schedule.parse_timestamp(value, field)
    except ScheduleError as error:
        return None, error
    # Only for ordering the two dates: a time without an offset is taken as UTC on both sides.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), None


def _window_active_period(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    moments: dict[str, datetime] = {}
    for field in ("startDate", "endDate"):
        value = p.get(field)
        if value is None or value is UNKNOWN:
            continue
        if not isinstance(value, str):
            report_violation(message(_who(args), f"{field}: expected a string, got {show(value)}",
                                     f"set {field} to an ISO-8601 timestamp such as 2025-01-31T02:00:00Z"))
            continue
        moment, error = _timestamp(value, field)
        if isinstance(error, schedule.ScheduleRangeError):
            report_violation(message(
                _who(args), f"{field} {show(value)} is out of range (allowed: {error.allowed})",
                f"set {field} to a time from 1970 to 2199, the years AWS schedules in",
            ))
        elif error is not None:
            report_violation(message(
                _who(args),
                f"{field} {show(value)} is not an ISO-8601 extended timestamp (allowed: {error.allowed})",
                f"set {field} like 2025-01-31T02:00:00Z or 2025-01-31T02:00:00+01:00",
            ))
        elif moment is not None:
            moments[field] = moment
    if len(moments) == 2 and moments["startDate"] >= moments["endDate"]:
        report_violation(message(
            _who(args),
            f"startDate {show(p['startDate'])} is not before endDate {show(p['endDate'])}",
            "set startDate earlier than endDate, or remove one of them",
        ))


window_active_period = ResourceTypePolicy(
    name="window-active-period",
    description="Requires startDate and endDate to be ISO-8601 timestamps, the start before the end.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_active_period,
)


def _window_name_description(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_limits(report_violation, _who(args), props(args), (
        (limits.WINDOW_NAME, "name", "use 3 to 128 letters, digits, '_', '-' or '.'"),
        (limits.WINDOW_DESCRIPTION, "description", "shorten the description to 128 characters, or remove it"),
    ))


window_name_description = ResourceTypePolicy(
    name="window-name-description",
    description="Requires a maintenance window name and description within AWS's length and characters.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_name_description,
)


def _window_registered_targets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allow = get(props(args), "allowUnassociatedTargets")
    if allow is True:
        report_violation(message(
            _who(args),
            "allowUnassociatedTargets is true, so tasks may run on any instance ID given at registration "
            "instead of the registered targets",
            "set allowUnassociatedTargets to false and register the instances as window targets",
        ))


window_registered_targets = ResourceTypePolicy(
    name="window-registered-targets",
    description="Prohibits maintenance windows that run tasks on unregistered targets.",
    resource_types=[MAINTENANCE_WINDOW],
    validate=_window_registered_targets,
)

POLICIES = [
    window_duration,
    window_cutoff,
    window_task_time,
    window_schedule,
    window_schedule_offset,
    window_timezone,
    window_active_period,
    window_name_description,
    window_registered_targets,
]
